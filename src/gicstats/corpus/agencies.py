"""The reviewed agency alias file: canonical names and regions of agencies."""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gicstats.errors import GicstatsError
from gicstats.form import template as T


@dataclass(frozen=True)
class Agencies:
    """A reviewed alias file: canonical name, aliases and region of agencies.

    TOML::

        [[agency]]
        name = "平潭综合实验区"
        aliases = ["平潭综合实验区管理委员会"]
        region = "福建省"
    """

    by_key: dict[str, tuple[str, str | None]]
    digest: str

    @classmethod
    def load(cls, path: str | os.PathLike | None) -> Agencies:
        """Read and validate an alias file; ``None`` gives no aliases.

        Raises:
            GicstatsError: naming the file and what is wrong in it.
        """
        if path is None:
            return cls({}, "")
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except FileNotFoundError:
            raise GicstatsError(path, "no such agency alias file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise GicstatsError(path, f"not valid TOML ({exc})") from None
        by_key: dict[str, tuple[str, str | None]] = {}
        for i, entry in enumerate(data.get("agency", []), start=1):
            if "name" not in entry:
                raise GicstatsError(path, f"agency #{i} lacks name")
            canonical = str(entry["name"])
            for alias in (canonical, *entry.get("aliases", [])):
                key = T.normalize(str(alias))
                if key in by_key and by_key[key][0] != canonical:
                    raise GicstatsError(path, f"alias {alias!r} names two agencies")
                by_key[key] = (canonical, entry.get("region"))
        return cls(by_key, hashlib.sha256(text.encode()).hexdigest())

    def resolve(self, agency: str | None) -> tuple[str | None, str | None]:
        """``(canonical name, region)``; an unknown agency keeps its printed name."""
        if agency is None:
            return None, None
        return self.by_key.get(T.normalize(agency), (agency, None))
