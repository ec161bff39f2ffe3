"""nltk: only the package itself (BLEU scoring needs no corpora).

Overrides the contrib hook, which would copy every ``nltk_data`` folder found on the build
machine into the bundle (corpora can weigh gigabytes and carry their own licences).
"""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("nltk", include_py_files=False)
hiddenimports = []
