"""Issue 18 part A: every file goes through the store OPENIDV_STORAGE_URL names (a folder, memory, or an
S3-compatible object store, here moto's real server on loopback), sealed with the key ring before it leaves
the process. The storage API, the rollback rules and one API journey (a government ID photo uploaded, then
fetched through its signed link) run against each kind of store; two openidv servers with their own data
folders serve each other's files from one bucket; a store that cannot be used stops startup with a message."""

import base64
import io
import json
import os
import stat
import subprocess
import time

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import text
from storage_support import OPENIDV, S3Server, ServerDatabase, StoreSetting, free_port, process_env

from openidv.config import Settings
from openidv.kit import storage
from openidv.kit.db import session_factory
from openidv.kit.file_links import Files
from openidv.testdata.idgen import make

API = "/api/v1"


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    make("passport", seed).front.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _raw(setting: StoreSetting, store: storage.Store, name: str) -> bytes | None:
    """The bytes the store keeps for `name`, read where it keeps them (the folder, the bucket) when it can be."""
    if setting.folder is not None:
        path = setting.folder / name
        return path.read_bytes() if path.exists() else None
    if setting.s3 is not None:
        key = f"{setting.prefix}/{name}"
        return setting.s3.raw(key) if key in setting.s3.keys(setting.prefix) else None
    return store.read(name)


def _open(setting: StoreSetting) -> storage.Store:
    return storage.open_store(setting.url, setting.options)


# ---------------------------------------------------------------- the storage API, per store


def test_files_are_sealed_bound_to_their_name_and_deleted(store_setting: StoreSetting, settings: Settings) -> None:
    store = _open(store_setting)
    photo = b"\xff\xd8 a photo " + os.urandom(64)
    storage.put(store, "ver_probe-front", photo)
    assert storage.get(store, "ver_probe-front") == photo
    sealed = _raw(store_setting, store, "ver_probe-front")
    assert sealed is not None and photo not in sealed and b"a photo" not in sealed and len(sealed) > len(photo)

    # Sealed bytes moved under another name do not open: each file is bound to its name.
    store.write("ver_other-front", sealed)
    with pytest.raises(InvalidTag):
        storage.get(store, "ver_other-front")

    storage.delete(store, "ver_probe-front")
    storage.delete(store, "ver_other-front")
    storage.delete(store, "ver_never-written")  # deleting what is not there is no error
    assert storage.get(store, "ver_probe-front") is None and _raw(store_setting, store, "ver_probe-front") is None
    for bad in ("../secrets.json", "a/b", "", "x y"):
        with pytest.raises(ValueError):
            storage.put(store, bad, b"x")
    # Nothing of it in the data folder unless the store is that folder.
    assert not (settings.data_dir / "files" / "ver_probe-front").exists()


def test_a_rolled_back_transaction_takes_its_files_and_a_committed_delete_happens(store_setting: StoreSetting, engine) -> None:
    store = _open(store_setting)
    make_session = session_factory(engine, writer=True)

    def session_with(work) -> tuple:
        session = make_session()
        session.execute(text("SELECT 1"))
        work(session)
        return session

    rolled = session_with(lambda s: storage.put_in_transaction(s, store, {"ver_rb-front": b"one", "ver_rb-back": b"two"}))
    assert storage.get(store, "ver_rb-front") == b"one"
    rolled.rollback()
    rolled.close()
    assert [storage.get(store, n) for n in ("ver_rb-front", "ver_rb-back")] == [None, None]

    kept = session_with(lambda s: storage.put_in_transaction(s, store, {"ver_kept-front": b"three"}))
    kept.commit()
    kept.rollback()  # a later rollback of the same session does not undo a committed write
    kept.close()
    assert storage.get(store, "ver_kept-front") == b"three"

    undone = session_with(lambda s: storage.delete_after_commit(s, store, ["ver_kept-front"]))
    undone.rollback()
    undone.close()
    assert storage.get(store, "ver_kept-front") == b"three"  # a rolled-back redaction keeps the file
    deleted = session_with(lambda s: storage.delete_after_commit(s, store, ["ver_kept-front"]))
    deleted.commit()
    deleted.close()
    assert storage.get(store, "ver_kept-front") is None


def test_a_folder_store_keeps_0600_files_in_a_0700_folder(settings: Settings, tmp_path) -> None:  # settings: the key ring
    folder = tmp_path / "elsewhere" / "files"
    store = storage.open_store(folder.as_uri())
    old = os.umask(0o022)
    try:
        storage.put(store, "ver_mode-front", b"photo bytes")
    finally:
        os.umask(old)
    assert (stat.S_IMODE(folder.stat().st_mode), stat.S_IMODE((folder / "ver_mode-front").stat().st_mode)) == (0o700, 0o600)


def test_the_default_store_is_the_data_folder(tmp_path) -> None:
    store = Settings(data_dir=tmp_path / "data").store
    assert isinstance(store, storage.FolderStore) and store.folder == (tmp_path / "data" / "files").resolve()
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700


# ---------------------------------------------------------------- one journey through the API, per store


def test_a_government_id_photo_is_kept_in_the_store_and_served_by_its_link(store_setting: StoreSetting, configured: Settings,
                                                                           client, world) -> None:
    assert Files.store is configured.store
    front = _jpeg(41)
    made = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}})
    assert made.status_code == 201, made.text
    attributes = {"inquiry-id": made.json()["data"]["id"], "country-code": "US", "id-class": "pp",
                  "front-photo": {"data": base64.b64encode(front).decode(), "filename": "front.jpg"}}
    created = client.post(f"{API}/verification/government-ids", json={"data": {"type": "verification/government-id", "attributes": attributes}})
    assert created.status_code == 201, created.text
    verification_id = created.json()["data"]["id"]
    link = client.get(f"{API}/verification/government-ids/{verification_id}").json()["data"]["attributes"]["front-photo-url"]

    sealed = _raw(store_setting, configured.store, f"{verification_id}-front")
    assert sealed is not None and front[:200] not in sealed  # in the configured store, sealed
    if store_setting.s3 is not None:
        assert f"{store_setting.prefix}/{verification_id}-front" in store_setting.s3.keys(store_setting.prefix)
    assert not (configured.data_dir / "files" / f"{verification_id}-front").exists()  # and not in the data folder

    photo = client.get(link[link.index(API):])
    assert photo.status_code == 200, photo.text
    assert photo.content == front and photo.headers["content-type"] == "image/jpeg"
    forged = client.get(link[link.index(API):].rsplit("access_token=", 1)[0] + "access_token=9999999999.AAAA")
    assert forged.status_code == 401


# ---------------------------------------------------------------- two servers, one bucket


def _upload(base: str, database: ServerDatabase, seed: int) -> tuple[str, bytes]:
    """A government-ID verification made on the server at `base`; its signed front-photo link and the photo."""
    front = _jpeg(seed)
    headers = {"Authorization": f"Bearer {database.api_key}"}
    made = httpx.post(f"{base}{API}/inquiries", headers=headers, timeout=30,
                      json={"data": {"attributes": {"inquiry-template-id": database.template_id}}})
    assert made.status_code == 201, made.text
    attributes = {"inquiry-id": made.json()["data"]["id"], "country-code": "US", "id-class": "pp",
                  "front-photo": {"data": base64.b64encode(front).decode(), "filename": "front.jpg"}}
    created = httpx.post(f"{base}{API}/verification/government-ids", headers=headers, timeout=60,
                         json={"data": {"type": "verification/government-id", "attributes": attributes}})
    assert created.status_code == 201, created.text
    verification_id = created.json()["data"]["id"]
    shown = httpx.get(f"{base}{API}/verification/government-ids/{verification_id}", headers=headers, timeout=30)
    return shown.json()["data"]["attributes"]["front-photo-url"], front


def test_two_servers_sharing_a_bucket_serve_each_others_files(s3: S3Server, settings: Settings, server_database: ServerDatabase, serve) -> None:
    prefix = f"shared-{os.urandom(4).hex()}"
    env = process_env(settings, server_database.url, STORAGE_URL=f"s3://{s3.bucket}/{prefix}",
                      STORAGE_OPTIONS=json.dumps(s3.options()))
    first, second = serve(env, server_database.api_key), serve(env, server_database.api_key)

    for maker, other, seed in ((first, second, 51), (second, first, 52)):
        link, front = _upload(maker.base, server_database, seed)
        assert link.startswith(maker.base)
        # The link names the server that made it; the other one, with a data folder of its own, serves it too.
        served = httpx.get(other.base + link.removeprefix(maker.base), timeout=30)
        assert served.status_code == 200, served.text
        assert served.content == front
    assert len(s3.keys(prefix)) == 2
    for server in (first, second):
        folder = server.data_dir / "files"
        assert not folder.exists() or not any(folder.iterdir()), f"{server.base} kept files in its data folder"


# ---------------------------------------------------------------- a store that cannot be used


def test_a_store_that_cannot_be_used_is_refused_with_a_message(s3: S3Server) -> None:
    cases = [
        ("ftp://files.example/openidv", None, "unknown scheme 'ftp'"),
        ("file://relative/folder", None, "absolute path"),
        (f"s3://no-such-bucket-{os.urandom(3).hex()}/p", s3.options(), "cannot be reached"),
        (f"s3://{s3.bucket}/p", s3.options() | {"no_such_option": "1"}, "no_such_option"),
        (f"s3://{s3.bucket}/p", s3.options() | {"endpoint": f"http://127.0.0.1:{free_port()}"}, "cannot be reached"),
    ]
    for url, options, message in cases:
        started = time.monotonic()
        with pytest.raises(storage.StorageError, match=message) as refused:
            storage.open_store(url, options)
        assert str(refused.value).startswith("OPENIDV_STORAGE_URL") and "\n" not in str(refused.value)
        assert time.monotonic() - started < 30


@pytest.mark.parametrize("setting", ["url", "bucket", "options"])
def test_openidv_says_what_is_wrong_with_the_store_without_a_traceback(setting: str, s3: S3Server, settings: Settings, tmp_path) -> None:
    extra = {
        "url": {"STORAGE_URL": "ftp://files.example/openidv"},
        "bucket": {"STORAGE_URL": "s3://missing-bucket-openidv/p", "STORAGE_OPTIONS": json.dumps(s3.options())},
        "options": {"STORAGE_URL": f"s3://{s3.bucket}/p", "STORAGE_OPTIONS": "{not json"},
    }[setting]
    env = process_env(settings, f"sqlite:///{tmp_path / 'unused.db'}", **extra)
    ran = subprocess.run([OPENIDV, "jobs", "list", "--data-dir", str(tmp_path / "data")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr
    last = ran.stderr.strip().splitlines()[-1]
    assert last.startswith("error: OPENIDV_STORAGE_"), ran.stderr
    assert {"url": "unknown scheme", "bucket": "cannot be reached", "options": "not valid JSON"}[setting] in last


# ---------------------------------------------------------------- readiness and doctor probe the configured store


def test_readyz_probes_the_store_requests_use(store_setting: StoreSetting, configured: Settings, client) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"]["storage"]["status"] == "ok"
    if store_setting.s3 is not None:
        assert store_setting.s3.keys(store_setting.prefix) == []  # the probe went there and was deleted
    if store_setting.folder is not None:
        assert store_setting.folder.is_dir() and not any(store_setting.folder.iterdir())


def test_doctor_probes_the_configured_store_and_says_why_it_cannot_be_used(s3: S3Server, settings: Settings, tmp_path) -> None:
    def doctor(**extra: str) -> dict[str, str]:
        env = process_env(settings, f"sqlite:///{tmp_path / 'unused.db'}", **extra)  # the store is checked without a database
        ran = subprocess.run([OPENIDV, "doctor", "--data-dir", str(tmp_path / "data")], env=env,
                             capture_output=True, text=True, timeout=120)
        assert "Traceback" not in ran.stderr, ran.stderr
        return {line.split()[1]: line for line in ran.stdout.splitlines() if len(line.split()) > 1 and line.split()[1] == "storage"}

    prefix = f"doctor-{os.urandom(4).hex()}"
    good = doctor(STORAGE_URL=f"s3://{s3.bucket}/{prefix}", STORAGE_OPTIONS=json.dumps(s3.options()))
    assert good["storage"].split()[0] == "ok", good
    assert s3.keys(prefix) == []
    bad = doctor(STORAGE_URL="s3://missing-bucket-openidv/p", STORAGE_OPTIONS=json.dumps(s3.options()))
    assert bad["storage"].split()[0] == "fail" and "OPENIDV_STORAGE_URL s3://missing-bucket-openidv/p: the store cannot be reached" in bad["storage"], bad
