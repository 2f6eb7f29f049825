"""Print the commands of the README's Quick start, one per line, as a user would type them (comments dropped).

`.ci/run` runs exactly these, so the README and CI cannot drift apart:

    python tools/readme_commands.py            # the first ```sh block under "## Quick start"
"""

from __future__ import annotations

import re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands(readme: str) -> list[str]:
    "The lines of the first ```sh block of the `## Quick start` section of `readme`, without comments."
    section = re.search(r"^## Quick start\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    if not section:
        raise ValueError("README.md has no '## Quick start' section")
    block = re.search(r"^```sh\n(.*?)^```", section.group(1), re.S | re.M)
    if not block:
        raise ValueError("README.md's Quick start has no ```sh block")
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


if __name__ == "__main__":
    print("\n".join(quick_start_commands((ROOT / "README.md").read_text())))
    sys.exit(0)
