"""What ``build.spec`` (CPU) and ``packaging/alm.spec`` (ALM) share.

Loaded by path from the spec files (PyInstaller executes specs as plain Python with its
build classes as globals; they are passed in to ``collect_app``). Kept free of PyInstaller
imports at module level so that tests can read the lists.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
APP_NAME, GUI_NAME, CLI_NAME = "SayWell", "SayWell", "saywell-cli"
VERSION = re.search(r'__version__ = "([^"]+)"',
                    (ROOT / "engine" / "__init__.py").read_text(encoding="utf-8")).group(1)

#: The ALM/training stacks: never in the CPU build.
ALM_STACK = ["torch", "torchvision", "torchaudio", "transformers", "peft", "bitsandbytes",
             "accelerate", "safetensors", "tokenizers", "huggingface_hub", "triton"]
#: Never bundled in either build: heavy or test-only packages something imports optionally.
ALWAYS_EXCLUDED = [
    "datasets", "tensorflow", "tensorboard", "keras", "jax", "jaxlib", "sklearn", "scipy",
    "pandas", "matplotlib", "IPython", "jupyter", "notebook", "tkinter", "_tkinter",
    "pytest", "_pytest", "pytestqt", "hypothesis", "PyInstaller", "setuptools", "pip",
    "training", "tests", "bench", "praatio",
    # Optional imports of nltk's (and torch's) unused parts: graphs, symbolic maths, images.
    "networkx", "sympy", "mpmath", "PIL",
    # Qt modules SayWell does not use (pyqtgraph needs QtOpenGL, so it stays).
    "PySide6.QtNetwork", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets",
    "PySide6.Qt3DCore", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets",
    "PySide6.QtSql", "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtPdf",
    "PySide6.QtSvgWidgets", "PySide6.QtPrintSupport", "PySide6.QtDBus", "PySide6.QtConcurrent",
    "PySide6.QtXml", "PySide6.QtUiTools", "PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets",
]

#: Collected files SayWell never loads: Qt translations other than Qt's own dialogs, QML,
#: and everything networked: the VNC platform plugin (a server), the TUIO touch plugin (listens
#: on UDP) and the QtNetwork library only they need. Offline by construction.
DROP = re.compile(r"PySide6/Qt/(translations/(?!qtbase_)|qml/|plugins/platforms/libqvnc"
                  r"|plugins/generic/libqtuiotouch)|(^|/)libQt6Network\.so")

#: Run-time hooks only the desktop app needs (``pyi_rth_pyside6`` imports QtCore).
QT_RUNTIME_HOOKS = {"pyi_rth_pyside6", "pyi_rth_pyqtgraph_multiprocess"}

#: Distributions whose licence files travel with the binaries (_internal/licenses/<name>/).
LICENSED = ["pocketsphinx", "numpy", "soundfile", "soxr", "sounddevice", "pyqtgraph",
            "platformdirs", "tqdm", "nltk", "rouge-score", "absl-py", "num2words", "regex",
            "joblib", "six", "PyYAML", "cloudpickle", "colorama", "defusedxml", "psutil",
            "typing_extensions", "PySide6-Essentials", "shiboken6"]
LICENSED_ALM = ["torch", "transformers", "peft", "bitsandbytes", "accelerate", "safetensors",
                "tokenizers", "huggingface-hub"]
_LICENCE_NAME = re.compile(r"(licen[cs]e|copying|notice|authors)", re.IGNORECASE)


def licence_files(distributions: list[str]) -> list[tuple[str, str]]:
    """(source, destination folder) of every licence file the distributions ship."""
    from importlib import metadata

    found = []
    for name in distributions:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for file in dist.files or []:
            if ".dist-info" in str(file) and _LICENCE_NAME.search(file.name):
                found.append((str(file.locate()), f"licenses/{name}"))
    for text in ("LGPL-3", "LGPL-2.1", "GPL-3"):  # the texts the (L)GPL components refer to
        path = Path("/usr/share/common-licenses") / text
        if path.is_file():
            found.append((str(path), "licenses"))
    portaudio = Path("/usr/share/doc/libportaudio2/copyright")  # the system PortAudio we bundle
    if portaudio.is_file():
        found.append((str(portaudio), "licenses/portaudio"))
    return found


def app_datas(distributions: list[str]) -> list[tuple[str, str]]:
    """Bundled data: ``resources/`` (found at run time through ``engine.paths``) and licences."""
    return [(str(ROOT / "resources"), "resources"), *licence_files(distributions)]


def entry_scripts() -> list[str]:
    return [str(PACKAGING / "launch_desktop.py"), str(PACKAGING / "launch_cli.py")]


def collect_app(a, PYZ, EXE, COLLECT, distpath: str,  # PyInstaller's build classes
                app_name: str = APP_NAME):
    """Filter the analysis, make the two executables over one PYZ, collect, stamp the folder.

    ``SayWell`` is the windowed app, ``saywell-cli`` the console command line; each EXE gets
    the runtime hooks and its own entry script. (Not ``saywell``: it would clash with
    ``SayWell`` on case-insensitive file systems.)
    """
    a.datas = [e for e in a.datas if "__pycache__" not in e[0] and not DROP.search(e[0])]
    a.binaries = [e for e in a.binaries if not DROP.search(e[0])]
    pyz = PYZ(a.pure)

    def executable(name: str, skip_scripts: set[str], console: bool):
        scripts = [entry for entry in a.scripts if entry[0] not in skip_scripts]
        return EXE(pyz, scripts, [], exclude_binaries=True, name=name, console=console,
                   strip=False, upx=False, icon=icon)

    # Windows and macOS show it on the executables; Linux ignores it (launchers use the PNG).
    ico = ROOT / "resources" / "icons" / "saywell.ico"
    icon = str(ico) if ico.is_file() else None

    gui = executable(GUI_NAME, {"launch_cli"}, console=False)
    # The command line never loads Qt: skip the Qt run-time hooks (they load QtCore).
    cli = executable(CLI_NAME, {"launch_desktop", *QT_RUNTIME_HOOKS}, console=True)
    coll = COLLECT(gui, cli, a.binaries, a.datas, strip=False, upx=False, name=app_name)
    check_dist = load_check_dist()
    check_dist.write_build_info(Path(distpath) / app_name, VERSION, ROOT)
    return coll


def load_check_dist():
    """``packaging/check_dist.py`` as a module (this folder is deliberately not a package)."""
    spec = importlib.util.spec_from_file_location("check_dist", PACKAGING / "check_dist.py")
    module = sys.modules["check_dist"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
