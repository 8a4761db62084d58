"""The live job stops quietly when `vori up` signals its whole process group: the JVM keeps
running until the job has stopped its query and then Spark (no "RpcEnv already stopped"
traceback), and nothing of the group is left afterwards. Real Spark, a rate source."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The live job's shutdown path (analytics_spark.live.run and _run_query) around a query
# that needs no Kafka.
CHILD = """
import signal, sys, time
from pyspark.sql import SparkSession
from analytics_spark.live import _jvm_ignores_sigterm, _stop_between_batches, _while_stopping

stop = []
signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
with _jvm_ignores_sigterm():
    spark = (
        SparkSession.builder.master("local[1]").appName("shutdown-test")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "512m").config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
query = (
    spark.readStream.format("rate").option("rowsPerSecond", 20).load()
    .writeStream.foreachBatch(lambda batch, batch_id: batch.count())
    .option("checkpointLocation", sys.argv[1]).trigger(processingTime="1 second").start()
)
while query.lastProgress is None:
    time.sleep(0.1)
print("running", flush=True)
while not stop and query.isActive:
    _while_stopping(stop, "waiting for the query", lambda: query.awaitTermination(1))
_while_stopping(stop, "stopping the query", lambda: _stop_between_batches(query))
_while_stopping(stop, "stopping Spark", spark.stop)
print("stopped", flush=True)
"""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.reliability
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_sigterm_to_the_process_group_stops_the_live_job_without_a_traceback(
    tmp_path: Path,
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "checkpoint")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        start_new_session=True,  # as `vori up` starts a service
    )
    assert child.stdout is not None
    output: list[str] = []
    try:
        for raw in child.stdout:
            output.append(raw.decode(errors="replace"))
            if raw.strip() == b"running":
                os.killpg(child.pid, signal.SIGTERM)  # what `vori up` does on Ctrl-C
                break
        output += [raw.decode(errors="replace") for raw in child.stdout]
        code = child.wait(timeout=60)
        deadline = time.monotonic() + 10
        while _group_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _group_alive(child.pid)
    finally:
        if _group_alive(child.pid):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    text = "".join(output)
    assert code == 0, text
    assert "stopped" in text
    for noise in ("Traceback", "RpcEnv", "Exception", "ERROR"):
        assert noise not in text, text
    assert not left, "the JVM outlived the job"
