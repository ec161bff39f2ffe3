"""pocketsphinx: its acoustic model and dictionary are data files; collect them explicitly.

PyInstaller collects the compiled ``_pocketsphinx`` module by itself but not the model
folder that ``pocketsphinx.get_model_path()`` finds next to the package. The 26 MB word
language model ``en-us.lm.bin`` is left out: SayWell's aligner runs with ``lm=None`` (forced
alignment and an allphone loop), and only the developer script
``resources/phonetics/build_common_words.py`` reads it, from the installed package.
"""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs

datas = collect_data_files(
    "pocketsphinx",
    excludes=["**/CMakeLists.txt", "**/__pycache__", "**/en-us.lm.bin"],
)
binaries = collect_dynamic_libs("pocketsphinx")
