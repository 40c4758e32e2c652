"""The Docker image holds the product; the demo target adds the sandbox. Checked without Docker.

Docker cannot run on the machines the tests run on, so the image's steps are
repeated here as the Dockerfile writes them: the sources each target COPYs
(read from the Dockerfile, following ``FROM <stage>``) are copied to a fresh
folder and installed with ``pip install`` into a fresh virtual environment,
which then runs the product from outside the repository.  The one difference:
the dependencies are not downloaded again but seen through a ``.pth`` line
pointing at this environment's site-packages (``--no-deps``); that line adds
the folder only, so this checkout's editable install (its own ``.pth``
finder) stays out and ``sandbox`` can be imported only if the image has it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from telethon.sessions import StringSession

from sandbox.botapi import BotAPIServer
from sandbox.cluster import SANDBOX_API_HASH, SANDBOX_API_ID, Cluster
from tests.mandatory import cannot
from tests.test_startup import DEADLINE, finish, stopped_in_the_end, telethon_session

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DEMO_ONLY = {"sandbox", "bench"}


@dataclass
class Stage:
    name: str | None
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse_dockerfile(text: str) -> list[Stage]:
    stages: list[Stage] = []
    logical = text.replace("\\\n", " ").splitlines()
    for line in logical:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(name, words[0]))
        else:
            stages[-1].instructions.append((keyword, rest))
    return stages


def build_steps(stages: list[Stage], target: str | None) -> list[tuple[str, str]]:
    """Every instruction that makes the target (None: the default, the last stage), inherited ones first."""
    by_name = {stage.name: stage for stage in stages if stage.name}
    stage = stages[-1] if target is None else by_name[target]
    chain = [stage]
    while chain[-1].base in by_name:
        chain.append(by_name[chain[-1].base])
    return [step for stage in reversed(chain) for step in stage.instructions]


def copied(steps: list[tuple[str, str]]) -> list[str]:
    """The sources of every COPY (all into the /app work folder; checked)."""
    sources: list[str] = []
    workdir = "/"
    for keyword, rest in steps:
        if keyword == "WORKDIR":
            workdir = rest
        if keyword == "COPY":
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            assert workdir == "/app", f"COPY {rest} outside /app"
            sources += words[:-1]
    return sources


def last(steps: list[tuple[str, str]], keyword: str) -> str:
    return [rest for word, rest in steps if word == keyword][-1]


STAGES = parse_dockerfile(DOCKERFILE.read_text())


def test_the_default_image_holds_the_product_and_the_demo_target_adds_the_sandbox() -> None:
    product, demo = build_steps(STAGES, None), build_steps(STAGES, "demo")
    assert {"bot", "exporter", "db"} <= set(copied(product))
    assert not DEMO_ONLY & set(copied(product)), copied(product)
    assert DEMO_ONLY <= set(copied(demo))
    assert json.loads(last(product, "CMD")) == ["python", "-m", "bot"]
    assert json.loads(last(demo, "CMD")) == ["python", "-m", "bot", "--sandbox"]
    # Both run as the unprivileged user, not root.
    assert last(product, "USER") == last(demo, "USER") == "exporter"


class Image:
    """The target's /app as the Dockerfile fills it, installed into a fresh virtual environment."""

    def __init__(self, target: str | None, folder: Path) -> None:
        self.steps = build_steps(STAGES, target)
        app, self.env, self.data = folder / "app", folder / "venv", folder / "data"
        for source in copied(self.steps):
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, app / source, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                app.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, app / source)
        venv.EnvBuilder(with_pip=False).create(self.env)
        self.python = self.env / "bin" / "python"
        self.site = Path(
            self.run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
        )
        (self.site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        assert any(rest.startswith("pip install") for word, rest in self.steps if word == "RUN")
        install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
        built = subprocess.run(
            [*install, "--no-index", "--target", str(self.site), str(app)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        assert built.returncode == 0, built.stderr
        self.data.mkdir()

    def run(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None, prefix: Sequence[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        """The image's python, started in its data folder like the image's WORKDIR /data; ``env`` is
        added to this environment, ``prefix`` runs it as another user."""
        cwd = self.data if self.data.exists() else self.env
        done = subprocess.run(
            [*prefix, str(self.python), *args],
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        assert not check or done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stderr}"
        return done

    def installed_files(self) -> list[str]:
        record = next(self.site.glob("telegram_export_bot-*.dist-info")) / "RECORD"
        return [line.split(",")[0] for line in record.read_text().splitlines()]


# Every product module, imported; what of the sandbox or bench got imported with them, whether they
# could be; where bot came from.
IMPORT_ALL = """
import importlib, importlib.util, pkgutil, sys
import bot, db, exporter
for package in (bot, db, exporter):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name != "bot.demo":
            importlib.import_module(module.name)
print(sorted({name.partition(".")[0] for name in sys.modules} & {"sandbox", "bench"}))
print([name for name in ("sandbox", "bench") if importlib.util.find_spec(name) is not None])
print(bot.__file__)
"""


def test_the_product_image_starts_without_the_sandbox(tmp_path: Path) -> None:
    image = Image(None, tmp_path)
    tops = {path.split("/")[0] for path in image.installed_files()}
    assert {"bot", "exporter", "db"} <= tops and not DEMO_ONLY & tops, tops
    assert not [path for path in image.installed_files() if path.endswith(".pem")]

    started = image.run("-m", "bot", "--help")
    assert started.stdout.startswith("usage: python -m bot")
    imported, importable, origin = image.run("-c", IMPORT_ALL).stdout.splitlines()
    assert (imported, importable) == ("[]", "[]")
    assert Path(origin).is_relative_to(image.site)
    # Asking the product image for the demo: one sentence and exit 2, not a traceback.
    for command in (["-m", "bot", "--sandbox"], ["-m", "exporter", "--sandbox", "export", "@x"]):
        demo = image.run(*command, check=False)
        assert demo.returncode == 2, demo.stderr
        assert demo.stderr.startswith("error: The offline demo is not installed here"), demo.stderr
        assert "Traceback" not in demo.stderr


def test_the_demo_image_adds_the_sandbox_and_its_key(tmp_path: Path) -> None:
    image = Image("demo", tmp_path)
    files = image.installed_files()
    assert any(path.startswith("sandbox/keys/") and path.endswith(".pem") for path in files)
    assert {"bench", "sandbox"} <= {path.split("/")[0] for path in files}
    imported = image.run("-c", "import bot.demo, bench.__main__, sandbox.cluster; print(bot.demo.__file__)")
    assert Path(imported.stdout.strip()).is_relative_to(image.site)


@pytest.fixture(autouse=True)
def _no_repository_on_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The image's python must find the product where the image installed it, never in this checkout.
    monkeypatch.delenv("PYTHONPATH", raising=False)


# The image's user, as the Dockerfile creates it (useradd --uid).
IMAGE_UID = 10001
ENV_EXAMPLE = ROOT / ".env.example"


def image_environment(steps: list[tuple[str, str]], data: Path) -> dict[str, str]:
    """The image's ENV, with its /data standing for ``data`` (the volume)."""
    env: dict[str, str] = {}
    for keyword, rest in steps:
        if keyword == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value.replace("/data", str(data)) if value.startswith("/data") else value
    assert last(steps, "WORKDIR") == "/data" and "VOLUME" in {keyword for keyword, _ in steps}
    return env


def env_file(text: str) -> dict[str, str]:
    """``docker run --env-file`` semantics: NAME=VALUE lines taken as they are (quotes kept, an empty
    value set as empty), # lines and blank lines skipped."""
    pairs = [line.partition("=") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {name.strip(): value for name, _, value in pairs}


def filled_env_example(**values: str) -> dict[str, str]:
    """.env.example as a person fills it in: the required lines get values, the rest stay as they are."""
    lines = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        name = line.partition("=")[0]
        lines.append(f"{name}={values.pop(name)}" if name in values and not line.startswith("#") else line)
    assert not values, f"not in .env.example: {values}"
    return env_file("\n".join(lines))


FILLED = {"BOT_TOKEN": "123456:AAsecret", "TG_API_ID": "12345", "TG_API_HASH": "0123456789abcdef"}
SETTINGS_SEEN = """
from bot.settings import DeployedBotSettings
settings = DeployedBotSettings()
print(settings.data_dir.resolve())
print(settings.tg_session_path.resolve())
"""


def test_env_example_keeps_the_data_on_the_volume(tmp_path: Path) -> None:
    image = Image(None, tmp_path)
    env = {**image_environment(image.steps, image.data), **filled_env_example(**FILLED)}
    seen = image.run("-c", SETTINGS_SEEN, env=env).stdout.splitlines()
    # Not /data/data: .env.example leaves DATA_DIR and TG_SESSION_PATH to the image.
    assert seen == [str(image.data.resolve()), str((image.data / "user.session").resolve())]


def as_image_user() -> list[str]:
    """The command prefix that runs a program as the image's user. It may also read (never write)
    what this machine's Python and packages are under: CI installs them in root's home, which no
    other user may read (CAP_DAC_READ_SEARCH grants reading and searching only)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        cannot("running as the image's user needs root and setpriv (.ci/run runs as root)")
    reading = "+dac_read_search"
    return [
        "setpriv", f"--reuid={IMAGE_UID}", f"--regid={IMAGE_UID}", "--clear-groups",
        f"--inh-caps={reading}", f"--ambient-caps={reading}",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def product_image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    return Image(None, tmp_path_factory.mktemp("product"))


@pytest.fixture
def volume(product_image: Image) -> Iterator[Path]:
    """The image's /data, empty, for one test."""
    shutil.rmtree(product_image.data, ignore_errors=True)
    product_image.data.mkdir()
    yield product_image.data
    shutil.rmtree(product_image.data, ignore_errors=True)


def image_user_home(image: Image) -> dict[str, str]:
    """HOME of the image's user, as useradd --create-home made it (matplotlib keeps its cache there)."""
    home = image.data.parent / "home"
    home.mkdir(exist_ok=True)
    os.chown(home, IMAGE_UID, IMAGE_UID)
    return {"HOME": str(home)}


def test_a_host_folder_the_image_user_cannot_write_is_one_sentence(
    product_image: Image, volume: Path
) -> None:
    """`docker run -v "$PWD/data:/data"` with a folder Docker made for root, or the host user's own:
    it keeps its owner (2000 here), and the bot and the exporter say what to run instead of
    SQLite's "unable to open database file"."""
    prefix = as_image_user()
    os.chown(volume, 2000, 2000)
    volume.chmod(0o755)
    env = {
        **image_user_home(product_image),
        **image_environment(product_image.steps, volume),
        **filled_env_example(**FILLED, ADMIN_IDS="1"),
    }
    for command in (["-m", "bot"], ["-m", "exporter", "login"]):
        ended = product_image.run(*command, env=env, prefix=prefix, check=False)
        assert ended.returncode == 2 and "Traceback" not in ended.stderr, ended.stderr
        (line,) = ended.stderr.strip().splitlines()
        assert line.startswith("error: The ") and f"folder {volume} cannot be written" in line, line
        assert f"(uid {IMAGE_UID})" in line and f"sudo chown -R {IMAGE_UID} {volume}" in line, line
    assert not list(volume.iterdir())


async def test_a_named_volume_is_the_image_users_and_the_bot_runs_in_it(
    product_image: Image, volume: Path, cluster: Cluster
) -> None:
    """A named volume starts owned by the image's user (Docker copies the ownership of the image's
    /data): the bot, as that user, with .env.example filled in, logs in with the session
    `python -m exporter login` left on the volume, answers /start, and stops on SIGTERM."""
    prefix = as_image_user()
    os.chown(volume, IMAGE_UID, IMAGE_UID)
    key = StringSession(cluster.session_string()).auth_key.key
    session = telethon_session(volume / "user.session", cluster.home.host, cluster.home.port, key)
    os.chown(session, IMAGE_UID, IMAGE_UID)
    async with BotAPIServer(volume.parent / "botapi") as api:
        filled = {
            "BOT_TOKEN": api.token,
            "BOT_API_URL": api.url,
            "TG_API_ID": str(SANDBOX_API_ID),
            "TG_API_HASH": SANDBOX_API_HASH,
            "ADMIN_IDS": "424242",
        }
        env = {
            **{name: value for name, value in os.environ.items() if name not in filled},
            **image_user_home(product_image),
            **image_environment(product_image.steps, volume),
            **filled_env_example(**filled),
        }
        bot = await asyncio.create_subprocess_exec(
            *prefix, str(product_image.python), "-m", "bot",
            cwd=volume, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        with stopped_in_the_end(bot):
            ended = asyncio.create_task(finish(bot))
            admin = api.add_user("Admin", user_id=424242)
            await api.wait_for(lambda: api.calls_to("getUpdates") or ended.done(), timeout=DEADLINE)
            assert not ended.done(), ended.result().err
            api.send_text(admin, admin.id, "/start")
            answer = await api.wait_for(
                lambda: next((m.text for m in api.messages_in(admin.id) if m.outgoing), None), timeout=30
            )
            bot.send_signal(signal.SIGTERM)
            stopped = await ended
    assert answer.endswith("Your Telegram user id: 424242") and "/stats" in answer
    assert stopped.code == 0 and "Traceback" not in stopped.err, stopped.err
    assert (volume / "app.sqlite").stat().st_uid == IMAGE_UID


def test_compose_runs_the_image_on_a_named_volume_with_the_env_file() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    ((name, service),) = compose["services"].items()
    assert service["build"] == "." and service["env_file"] == ".env"
    assert service["restart"] == "unless-stopped"
    (mount,) = service["volumes"]
    source, target = mount.split(":")
    # Mounted where the image keeps its data, from a named volume (not a host path: see the Dockerfile).
    assert target == "/data" == image_environment(build_steps(STAGES, None), Path("/data"))["DATA_DIR"]
    assert source in compose["volumes"] and "/" not in source
    assert "user" not in service  # the image's own user, who owns a new volume
    readme = (ROOT / "README.md").read_text()
    assert f"docker compose run --rm {name} python -m exporter login" in readme
    assert "docker run -it --rm" in readme and "python -m exporter login" in readme
