"""search: full-text and Hangul-bigram indexes over transcript segments

English (and every space-delimited word) through `to_tsvector('english', text)`, with
stemming. Korean attaches particles to words ("예산을", "예산에서"), so a word index misses
"예산"; and pg_trgm extracts no trigrams from Hangul under the C locale that vori's local
PostgreSQL is initialised with (`show_trgm('회의에서')` is empty), so Korean gets an index of
Hangul syllable bigrams instead: "예산을" → {예산, 산을}; a query's bigrams narrow the rows
and an ILIKE on the text confirms the substring.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Immutable, so it may index; gateway/search_terms.py `hangul_bigrams` mirrors it exactly.
BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION vori_hangul_bigrams(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT gram)), ''::tsvector)
  FROM (
    SELECT CASE WHEN length(run) = 1 THEN run ELSE substr(run, i, 2) END AS gram
    FROM (SELECT (regexp_matches(doc, '[가-힣]+', 'g'))[1] AS run) AS runs,
         generate_series(1, greatest(length(run) - 1, 1)) AS i
  ) AS grams
$$
"""


def upgrade() -> None:
    op.execute(BIGRAMS_FUNCTION)
    op.execute(
        "CREATE INDEX ix_transcript_segments_text_fts ON transcript_segments "
        "USING gin (to_tsvector('english'::regconfig, text))"
    )
    op.execute(
        "CREATE INDEX ix_transcript_segments_text_bigrams ON transcript_segments "
        "USING gin (vori_hangul_bigrams(text))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_transcript_segments_text_bigrams")
    op.execute("DROP INDEX IF EXISTS ix_transcript_segments_text_fts")
    op.execute("DROP FUNCTION IF EXISTS vori_hangul_bigrams(text)")
