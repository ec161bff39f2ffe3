"""Runtime hook: runs before the app's first import inside the frozen executable.

Forces Hugging Face offline mode and telemetry off before anything can import those
libraries (``engine`` does the same at import; this covers code that runs earlier).
"""

import os

for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE",
              "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_IMPLICIT_TOKEN", "DO_NOT_TRACK"):
    os.environ[_name] = "1"
