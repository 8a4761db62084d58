"""A real single-node Apache Kafka broker (KRaft) run from the jars Maven resolves.

Used by `vori up` and by the test fixtures: no Docker, no stand-in. The jars come from
`infra/kafka/pom.xml`; the storage is formatted once and kept between runs.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from vori.kafka.topics import wait_for_kafka
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
POM = REPO_ROOT / "infra" / "kafka" / "pom.xml"

# Largest commit metadata the Kafka protocol carries (a string field: at most 0x7fff bytes).
OFFSET_METADATA_MAX_BYTES = 32767

# Measured on 2 cores: C1-only JIT and the serial GC open the port in 5-8 s instead of 8-16 s.
JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true"]

LOG4J2 = """\
status = warn
shutdownHook = disable
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
"""


class MissingToolError(RuntimeError):
    """A program the local stack needs is not installed."""


def require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MissingToolError(f"{name} not found: {hint}")
    return path


def resolve_classpath(cache_dir: Path) -> str:
    """The broker's classpath from Maven, cached until the pom changes."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = cache_dir / "classpath.txt"
    if out.exists() and out.stat().st_mtime >= POM.stat().st_mtime:
        classpath = out.read_text().strip()
        if all(Path(jar).exists() for jar in classpath.split(os.pathsep)):
            return classpath
    mvn = require_tool(
        "mvn", "install Maven 3.8+ (Debian: apt-get install maven) to fetch the Kafka jars"
    )
    log.info("resolving Kafka jars with Maven (first run downloads ~56 MB)")
    result = subprocess.run(
        [mvn, "-q", "-B", "-f", str(POM), "dependency:build-classpath", f"-Dmdep.outputFile={out}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Maven could not resolve Kafka:\n{result.stdout}\n{result.stderr}")
    return out.read_text().strip()


@dataclass
class KafkaBroker:
    """One KRaft broker+controller listening on 127.0.0.1."""

    data_dir: Path
    port: int
    controller_port: int
    heap: str = "256m"
    host: str = "127.0.0.1"
    log_level: str = "WARN"
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_settings(cls, kafka: KafkaSettings, data_dir: Path) -> KafkaBroker:
        host, _, port = kafka.bootstrap_servers.split(",")[0].rpartition(":")
        return cls(
            data_dir=data_dir,
            port=int(port),
            controller_port=kafka.controller_port,
            heap=kafka.heap,
            host=host or "127.0.0.1",
        )

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    def _write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},"
            f"CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            "num.partitions": "3",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "6",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "group.min.session.timeout.ms": "6000",
            # The transcriber commits every open stream's checkpoint with its partition's
            # offset (transcriber/offsets.py); Kafka's default of 4096 B holds ~89 streams.
            # 32767 B is the most the protocol carries: metadata is a string field, which
            # Kafka's generated request and record code refuses above 0x7fff bytes.
            "offset.metadata.max.bytes": str(OFFSET_METADATA_MAX_BYTES),
        }
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    def _log_config(self) -> Path:
        path = self.data_dir / "log4j2.properties"
        path.write_text(LOG4J2.format(log_file=self.log_file, level=self.log_level))
        return path

    def _java(self, classpath: str, main: str, *args: str) -> list[str]:
        java = require_tool("java", "install Java 17+ (Debian: apt-get install openjdk-17-jre)")
        return [
            java,
            f"-Xmx{self.heap}",
            *JVM_FLAGS,
            f"-Dlog4j2.configurationFile={self._log_config()}",
            "-cp",
            classpath,
            main,
            *args,
        ]

    def start(self, timeout_s: float = 90.0) -> None:
        """Format the storage if new, start the broker and wait until it answers."""
        classpath = resolve_classpath(self.data_dir.parent / "kafka-jars")
        config = self._write_config()
        if not (self.data_dir / "logs" / "meta.properties").exists():
            cluster_id = base64_uuid()
            subprocess.run(
                self._java(
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(config),
                    "--ignore-formatted",
                ),
                check=True,
                capture_output=True,
            )
        log_out = open(self.data_dir / "broker.out", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            self._java(classpath, "kafka.Kafka", str(config)),
            stdout=log_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop the broker in order
        )
        log_out.close()
        try:
            wait_for_kafka(KafkaSettings(bootstrap_servers=self.bootstrap_servers), timeout_s)
        except Exception:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise RuntimeError(f"Kafka exited at start; see {self.log_file}")

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM (a clean shutdown, ~2 s), then SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, for fault tests."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def base64_uuid() -> str:
    """A Kafka cluster id: a UUID in URL-safe base64 without padding.

    One id in 64 would start with '-', which StorageTool reads as an option: draw again.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
