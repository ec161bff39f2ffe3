"""The PyInstaller bundle builds, fits its size budget and passes its selftest offline.

This is the packaging area's one slow test (about a minute and a half on 2 cores): it runs
in CI so that a broken bundle cannot land. It reuses ``dist/SayWell`` when its
``BUILD-INFO.txt`` says it was built from exactly the current sources (``make dist``), and
otherwise builds into a temporary folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.netguard import load_check_dist

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    check_dist = load_check_dist()
    existing = ROOT / "dist" / "SayWell"
    if check_dist.is_fresh(existing):
        return existing
    work = tmp_path_factory.mktemp("pyinstaller")
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
         str(ROOT / "build.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    built = work / "dist" / "SayWell"
    assert check_dist.is_fresh(built), "the build did not stamp BUILD-INFO.txt"
    return built


@pytest.mark.slow
def test_bundle_selftest_cli_size_and_no_network(app_dir: Path):
    results = load_check_dist().check(app_dir)
    failed = [line for passed, line in results if not passed]
    assert failed == [], "\n".join(failed)


@pytest.mark.slow
def test_bundle_has_its_data_and_licences_and_no_heavy_or_networked_parts(app_dir: Path):
    internal = app_dir / "_internal"
    bundled = {p.name for p in internal.iterdir()}
    assert not bundled & {"torch", "transformers", "peft", "bitsandbytes", "accelerate"}
    assert (internal / "pocketsphinx" / "model" / "en-us" / "cmudict-en-us.dict").is_file()
    assert (internal / "resources" / "samples" / "sample.wav").is_file()
    assert (internal / "resources" / "NOTICE.md").is_file()
    assert (internal / "licenses" / "pocketsphinx").is_dir()
    networked = [p.name for p in internal.rglob("*")
                 if "Qt6Network" in p.name or "qvnc" in p.name or "tuio" in p.name]
    assert networked == [], "networked Qt parts must not be bundled"


@pytest.mark.slow
def test_bundle_cli_bad_input_and_missing_alm_give_documented_exit_codes(app_dir: Path, tmp_path):
    cli = str(app_dir / "saywell-cli")
    sample = app_dir / "_internal" / "resources" / "samples" / "sample.wav"
    (tmp_path / "notes.wav").write_text("not audio")
    cases = [([cli, "analyze", str(tmp_path / "notes.wav"), "--text", "hi"], 3),
             ([cli, "explain", str(tmp_path / "notes.wav")], 5),
             ([cli, "analyze", str(sample), "--text", "hi", "--engine", "alm",
               "--model-dir", str(tmp_path)], 7)]  # the CPU bundle has no ALM stack
    for argv, expected in cases:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False,
                              cwd=tmp_path)
        assert proc.returncode == expected, proc.stderr
        assert proc.stderr.startswith("saywell: error:") and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
