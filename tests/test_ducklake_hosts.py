"""Several hosts for real: two `dateline run` writers, each in a network namespace of its own (a host with
its own loopback, its own Prefect API and its own local folders), reach the lake's catalog (a private
PostgreSQL cluster) and its object store (a moto S3 server) only over veth links to a bridge in the root
namespace. Their sources overlap (one outlet in both), each has its own copy of the files it reads, and
every story lands exactly once: the lake holds the same stories as one embedded run over all the sources.

The addresses are 198.18.213.0/24, from the range reserved for network tests (RFC 2544). Needs root and
`ip netns`; skipped with the reason otherwise. The namespaces, links and bridge are removed afterwards."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.pg_cluster import free_port, private_cluster

SUBNET = "198.18.213"
ROOT_ADDRESS = f"{SUBNET}.1"
BUCKET = "dateline-hosts"
# Which bundled sample outlets each host reads: savanna-times is in both.
SHARES = {
    "host1": ("meridian-daily", "savanna-times"),
    "host2": ("savanna-times", "gulf-ledger", "indus-chronicle"),
}
SAMPLES = {
    "meridian-daily": ("www.meridian-daily.example", "**/*.html", "Asia/Karachi"),
    "savanna-times": ("www.savanna-times.example", "**/*.html", "Africa/Nairobi"),
    "gulf-ledger": ("www.gulf-ledger.example", "**/*.html", "Asia/Dubai"),
    "indus-chronicle": ("dumps", "*.txt", None),
}


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


@dataclass
class Hosts:
    namespaces: dict[str, str]  # host name -> namespace
    addresses: dict[str, str]


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    """Two namespaces joined to a bridge in the root namespace, which holds 198.18.213.1."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2's `ip`")
    tag = uuid.uuid4().hex[:5]
    bridge = f"dlbr{tag}"
    try:
        ip("netns", "add", f"dlprobe{tag}")
        ip("netns", "delete", f"dlprobe{tag}")
    except subprocess.CalledProcessError as error:
        pytest.skip(f"`ip netns add` does not work here: {error.stderr.strip()}")
    made: list[str] = []
    try:
        ip("link", "add", bridge, "type", "bridge")
        ip("addr", "add", f"{ROOT_ADDRESS}/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        namespaces, addresses = {}, {}
        for number, host in enumerate(SHARES, start=1):
            namespace, outside, inside = f"dl{host}{tag}", f"dlv{number}{tag}", f"dlp{number}{tag}"
            ip("netns", "add", namespace)
            made.append(namespace)
            ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            ip("link", "set", inside, "netns", namespace)
            ip("link", "set", outside, "master", bridge, "up")
            address = f"{SUBNET}.{10 + number}"
            ip("-n", namespace, "addr", "add", f"{address}/24", "dev", inside)
            ip("-n", namespace, "link", "set", inside, "up")
            ip("-n", namespace, "link", "set", "lo", "up")
            namespaces[host], addresses[host] = namespace, address
        yield Hosts(namespaces, addresses)
    finally:
        for namespace in made:  # deleting a namespace deletes its end of the veth pair, and so the pair
            subprocess.run(["ip", "netns", "delete", namespace], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "delete", bridge], capture_output=True, timeout=30)


def sources_for(host: str, folder: Path) -> Path:
    """The host's own copy of the sample files it reads, and a sources file naming them."""
    lines = []
    for name in SHARES[host]:
        sub, pattern, timezone = SAMPLES[name]
        shutil.copytree(REPO / "samples" / sub, folder / "samples" / sub)
        lines += ["[[source]]", f'name = "{name}"', 'kind = "file"', f'path = "samples/{sub}/{pattern}"']
        lines += [f'timezone = "{timezone}"'] if timezone else ['language = "en"']
    path = folder / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def environment(folder: Path, s3_endpoint: str, data_path: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AWS_", "DATELINE_"))}
    return env | {
        "PREFECT_HOME": str(folder / "prefect"),
        "DATELINE_DATA_DIR": str(folder / "data"),
        "DATELINE_DATA_PATH": data_path,
        "DATELINE_ENTITIES": "rules",
        "AWS_ACCESS_KEY_ID": "dateline-hosts",
        "AWS_SECRET_ACCESS_KEY": "hosts-secret",
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_REGION": "us-east-1",
        "NO_COLOR": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",  # three runs start on a shared, loaded machine
    }


@pytest.mark.timeout(1500)
def test_two_hosts_load_one_lake_over_the_network_and_every_story_lands_once(hosts: Hosts, tmp_path: Path) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    from warehouse import open_warehouse
    from warehouse.ducklake.storage import ObjectStore

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    s3 = ThreadedMotoServer(ip_address=ROOT_ADDRESS, port=port, verbose=False)
    s3.start()
    endpoint = f"http://{ROOT_ADDRESS}:{port}"
    try:
        boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1"
        ).create_bucket(Bucket=BUCKET)
        with private_cluster(addresses=(ROOT_ADDRESS,)) as cluster:
            cluster.create_database("lake_hosts")
            location = f"ducklake:postgres:{cluster.dsn('lake_hosts')}"
            data_path = f"s3://{BUCKET}/lake/"
            runs = {}
            for host, namespace in hosts.namespaces.items():
                folder = tmp_path / host
                folder.mkdir()
                command = [sys.executable, "-m", "flows.cli", "run", "--warehouse", location, "--sources",
                           str(sources_for(host, folder))]  # fmt: skip
                runs[host] = subprocess.Popen(
                    ["ip", "netns", "exec", namespace, *command],
                    cwd=folder,
                    env=environment(folder, endpoint, data_path) | {"PYTHONPATH": str(REPO)},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            for host, run in runs.items():
                out, _ = run.communicate(timeout=1200)
                assert run.returncode == 0, f"{host}: {out[-3000:]}"

            embedded_folder = tmp_path / "embedded"
            embedded_folder.mkdir()
            embedded = subprocess.run(
                [sys.executable, "-m", "flows.cli", "run", "--sources", str(REPO / "sources.toml"), "--warehouse",
                 str(embedded_folder / "w.duckdb"), "--create"],
                cwd=REPO, env=environment(embedded_folder, endpoint, data_path), capture_output=True, text=True,
                timeout=1200,
            )  # fmt: skip
            assert embedded.returncode == 0, embedded.stdout + embedded.stderr

            store = ObjectStore("dateline-hosts", "hosts-secret", endpoint_url=endpoint, region="us-east-1")
            lake = open_warehouse(location, object_store=store)
            reference = open_warehouse(str(embedded_folder / "w.duckdb"))
            query = "SELECT story_id, content_hash, version FROM fact_story ORDER BY story_id"
            stored = lake.query(query).rows
            assert len(stored) == len({row[0] for row in stored}), "a story stored twice"
            assert stored == reference.query(query).rows  # every story once, as one run over all sources
            assert len(stored) > 50
            assert lake.query("SELECT count(*) FROM etl_run WHERE status = 'completed'").rows == [(2,)]
            files = lake.query("SELECT count(*) FROM ducklake_list_files('lake', 'fact_story')").rows[0][0]
            assert files >= 1 and all(k.startswith("lake/") for k in objects(endpoint))
    finally:
        s3.stop()


def objects(endpoint: str) -> list[str]:
    import boto3

    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1"
    )
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
