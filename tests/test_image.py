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

import json
import shlex
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass, field
from pathlib import Path

import pytest

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

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The image's python, started in its data folder like the image's WORKDIR /data."""
        cwd = self.data if self.data.exists() else self.env
        done = subprocess.run(
            [str(self.python), *args],
            cwd=cwd,
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
