"""Where the tests find Persona's OpenAPI spec: the copies vendored in vendor/persona-openapi/ (see its
README for their source). Test modules import this one helper (tests/ is on sys.path through its conftest)."""

import json
from functools import cache
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parent.parent / "vendor" / "persona-openapi"
FILES = {
    "2025-12-08": "openapi-bundled.json",  # the default API version
    "2023-01-05": "openapi-bundled.json",  # `Persona-Version: 2023-01-05`
    "2023-01-05-as-of-2025-01": "openapi-bundled.yaml",  # the only one describing the document writes
}
DEFAULT = "2025-12-08"


def spec_path(version: str = DEFAULT) -> Path:
    """The vendored bundle of one spec version."""
    if version not in FILES:
        raise KeyError(f"no vendored Persona spec {version!r}: vendor/persona-openapi/ has {', '.join(FILES)}")
    path = SPECS / version / FILES[version]
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the checkout")
    return path


@cache
def load_spec(version: str = DEFAULT) -> dict[str, Any]:
    """The parsed bundle, read once per process: shared, so callers copy before changing it."""
    path = spec_path(version)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    import yaml

    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
