"""search: full-text and Hangul-bigram indexes over segments, summaries and cards

English (and every space-delimited word) through `to_tsvector('english', text)`, with
stemming. Korean attaches particles to words ("예산을", "예산에서"), so a word index misses
"예산"; and pg_trgm extracts no trigrams from Hangul under the C locale that vori's local
PostgreSQL is initialised with (`show_trgm('회의에서')` is empty), so Korean gets an index of
Hangul syllable bigrams instead: "예산을" → {예산, 산을}; a query's bigrams narrow the rows
and an ILIKE on the text confirms the substring.

Summaries and cards are indexed too: computing their text vectors at query time cost
100-350 ms per search over 1,000 meetings (bench/search.py), the index a few.

Revision ID: 0008
Revises: 0007
Depends on: 0002, 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
# meeting_summaries (0002) and cards (0004) are created on branches of their own.
depends_on: str | Sequence[str] | None = ("0002", "0004")

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

# A summary's searchable text: overview, key points and decisions in one string. Its cost
# tells the planner that computing it for every row is dearer than the index (left at the
# default, it scanned all summaries for a common word: 40 ms over 1,000 meetings).
SUMMARY_TEXT_FUNCTION = """
CREATE OR REPLACE FUNCTION vori_summary_text(overview text, key_points json, decisions json)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 1000 AS $$
  SELECT concat_ws(' ', overview,
    (SELECT string_agg(value, ' ') FROM json_array_elements_text(key_points) AS value),
    (SELECT string_agg(value, ' ') FROM json_array_elements_text(decisions) AS value))
$$
"""

# A card's: its title and description (the title's type as the column's, so the index
# expression needs no cast and reads back as written).
CARD_TEXT_FUNCTION = """
CREATE OR REPLACE FUNCTION vori_card_text(title character varying, description text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT concat_ws(' ', title, description)
$$
"""

# (index, table, indexed text): each text gets an English and a Hangul-bigram index.
DOCUMENTS = (
    ("transcript_segments_text", "transcript_segments", "text"),
    (
        "meeting_summaries_text",
        "meeting_summaries",
        "vori_summary_text(overview, key_points, decisions)",
    ),
    ("cards_text", "cards", "vori_card_text(title, description)"),
)


def upgrade() -> None:
    op.execute(BIGRAMS_FUNCTION)
    op.execute(SUMMARY_TEXT_FUNCTION)
    op.execute(CARD_TEXT_FUNCTION)
    for name, table, document in DOCUMENTS:
        op.execute(
            f"CREATE INDEX ix_{name}_fts ON {table} "
            f"USING gin (to_tsvector('english'::regconfig, {document}))"
        )
        op.execute(
            f"CREATE INDEX ix_{name}_bigrams ON {table} USING gin (vori_hangul_bigrams({document}))"
        )


def downgrade() -> None:
    for name, _table, _document in DOCUMENTS:
        op.execute(f"DROP INDEX IF EXISTS ix_{name}_bigrams")
        op.execute(f"DROP INDEX IF EXISTS ix_{name}_fts")
    op.execute("DROP FUNCTION IF EXISTS vori_card_text(character varying, text)")
    op.execute("DROP FUNCTION IF EXISTS vori_summary_text(text, json, json)")
    op.execute("DROP FUNCTION IF EXISTS vori_hangul_bigrams(text)")
