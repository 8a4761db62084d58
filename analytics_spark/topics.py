"""Recurring topics and weekly keywords of a board's meetings, with Spark ML.

Each meeting is one document (its segments' text joined in PostgreSQL). Tokens are runs
of Hangul or of Latin letters (RegexTokenizer); Korean words carry their particles and
endings without a space (회의를, 배포는, 진행합니다), so a known particle or ending is cut
from a Hangul token of three syllables or more (the stem keeps at least two: 회의 stays).
English and Korean stop words and meeting fillers go, then CountVectorizer -> IDF (the
keywords' TF-IDF) and k-means with cosine distance over TF-IDF (the topics).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

from analytics_spark.grouped import top_terms
from analytics_spark.meetings import PlannedMeeting
from analytics_spark.sources import read_by_meeting
from analytics_spark.weeks import week
from vori.settings import Settings

TOKEN_PATTERN = "[\\uac00-\\ud7a3]+|[a-z][a-z']+"
PARTICLES = (
    "했습니다|합니다|입니다|습니다|했어요|해요|에서는|에서|으로는|으로|에게|한테|까지|부터|"
    "처럼|보다|이랑|하고|해서|했다|하는|하기|하자|해야|은|는|이|가|을|를|에|의|와|과|도|만|로|랑"
)
STEM_AND_ENDING = f"^([\\uac00-\\ud7a3]{{2,}}?)({PARTICLES})$"
# Korean function words and fillers, English meeting fillers (the default English list of
# StopWordsRemover is added too); whitespace-separated.
KOREAN_STOP_WORDS = """
그리고 그래서 그러면 그런데 하지만 그러나 또는 그냥 이제 우리 저희 제가 네가
이것 그것 저것 여기 거기 이번 다음 지금 오늘 내일 어제 정도 좀더 이거 그거
저거 있습니다 없습니다 있어요 없어요 같습니다 같아요 생각 하겠습니다 했는데
합시다 그럼 아니 맞아요 감사합니다 대해 대한 관련 네네 음음 어어 저는 나는
너는 우리는 그게 이게 뭔가 있는 없는 있고 하면
"""
FILLERS = """
um uh hmm mm yeah okay ok oh ah yes right well like just really know think mean gonna
wanna kinda sort thing things stuff actually basically going get got say said also would
could should one two three four five six seven eight nine ten zero transcript number
let's that's it's there's we're i'm don't you're they're
"""
TEXTS_SQL = """
    SELECT meeting_id, string_agg(text, ' ' ORDER BY start) AS text
    FROM transcript_segments GROUP BY meeting_id"""


def tokens(spark: Any, docs: Any) -> Any:
    """docs (meeting_id, text, ...) with `terms`: lowercase tokens, particles cut, no stop words."""
    from pyspark.ml.feature import RegexTokenizer, StopWordsRemover
    from pyspark.sql import functions as fn

    tokenizer = RegexTokenizer(
        inputCol="text", outputCol="raw", pattern=TOKEN_PATTERN, gaps=False, toLowercase=True
    )
    raw = tokenizer.transform(docs.fillna({"text": ""}))
    stripped = raw.withColumn(
        "stems",
        fn.expr(
            f"filter(transform(raw, t -> regexp_replace(t, '{STEM_AND_ENDING}', '$1')),"
            " t -> char_length(t) >= 2 AND NOT t rlike '^[a-z]{1,2}$')"
        ),
    )
    stop = [
        *StopWordsRemover.loadDefaultStopWords("english"),
        *KOREAN_STOP_WORDS.split(),
        *FILLERS.split(),
    ]
    remover = StopWordsRemover(inputCol="stems", outputCol="terms", stopWords=stop)
    return remover.transform(stripped).drop("raw", "stems")


def topics_and_keywords(
    spark: Any,
    settings: Settings,
    planned: Sequence[PlannedMeeting],
    from_week: date | None,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(analytics_topics rows, analytics_keyword_weeks rows) of the planned meetings' boards."""
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import IDF, CountVectorizer
    from pyspark.ml.functions import vector_to_array
    from pyspark.ml.stat import Summarizer
    from pyspark.sql import Window
    from pyspark.sql import functions as fn

    analytics = settings.analytics
    info = spark.createDataFrame(
        [(p.meeting_id, p.board_id, p.started_at) for p in planned if p.board_id],
        "meeting_id string, board_id string, started_at timestamp",
    )
    ids = [p.meeting_id for p in planned if p.board_id]
    if len(ids) < 2:
        return [], []
    texts = read_by_meeting(spark, settings, TEXTS_SQL, ids, column="meeting_id")
    docs = tokens(spark, texts.join(info, "meeting_id")).where(fn.size("terms") > 0).cache()
    n_docs = docs.count()
    if n_docs < 2:
        docs.unpersist()
        return [], []
    vectorizer = CountVectorizer(
        inputCol="terms", outputCol="counts", vocabSize=analytics.vocabulary, minDF=2.0
    ).fit(docs)
    vocab = vectorizer.vocabulary
    if not vocab:
        docs.unpersist()
        return [], []
    counted = vectorizer.transform(docs)
    tfidf = IDF(inputCol="counts", outputCol="tfidf").fit(counted)
    # A meeting made only of words every meeting uses has a zero TF-IDF vector: no topic.
    weighted = (
        tfidf.transform(counted)
        .select("board_id", "meeting_id", "started_at", "counts", "tfidf")
        .where(fn.array_max(vector_to_array(fn.col("tfidf"))) > 0)
        .cache()
    )
    n_weighted = weighted.count()
    docs.unpersist()
    if n_weighted < 2:
        weighted.unpersist()
        return [], []
    # Spherical k-means (cosine) over TF-IDF: words every meeting uses weigh little, so the
    # clusters follow what a meeting is about; LDA on raw counts merged small topics here.
    k = max(2, min(analytics.topics, n_weighted // 2))
    kmeans = KMeans(
        k=k,
        maxIter=analytics.topic_iterations,
        seed=11,
        featuresCol="tfidf",
        predictionCol="topic",
        distanceMeasure="cosine",
    ).fit(weighted)
    terms = {
        topic: [[vocab[i], round(float(center[i]), 5)] for i in center.argsort()[::-1][:10]]
        for topic, center in enumerate(kmeans.clusterCenters())
    }
    leading = (
        kmeans.transform(weighted)
        .groupBy("board_id", "topic")
        .agg(fn.count("*").alias("meetings"))
        .withColumn(
            "share", fn.col("meetings") / fn.sum("meetings").over(Window.partitionBy("board_id"))
        )
    )
    topic_rows = [
        {
            "board_id": r.board_id,
            "topic": int(r.topic),
            "terms": terms[int(r.topic)],
            "meetings": int(r.meetings),
            "share": round(float(r.share), 4),
            "computed_at": now,
        }
        for r in leading.collect()
    ]
    # Keywords: per board and week, sums of the meetings' count vectors and the number of
    # meetings using each term (Summarizer, on the JVM); the top terms are picked per week
    # on the executors, so no row per token is ever made.
    weekly = weighted.groupBy("board_id", week("started_at").alias("week")).agg(
        Summarizer.metrics("sum", "numNonZeros").summary(fn.col("counts")).alias("s"),
        fn.count("*").alias("held"),
    )
    pick = partial(
        top_terms,
        idf=[float(w) for w in tfidf.idf.toArray()],
        vocab=list(vocab),
        keep=analytics.keywords_per_week,
    )
    keywords = weekly.rdd.flatMap(pick)
    keyword_rows = [
        {
            "board_id": board_id,
            "week": week_of,
            "term": term[:100],
            "score": round(score, 4),
            "meetings": meetings,
            "computed_at": now,
        }
        for board_id, week_of, term, score, meetings in keywords.collect()
        if from_week is None or week_of >= from_week
    ]
    weighted.unpersist()
    return topic_rows, keyword_rows
