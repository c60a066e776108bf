"""The SQLite writer process (:mod:`sqlite_child`), run as ``-m loadbay.importing.sqlite_writer``.

The process needs pyarrow and the ADBC driver only. polars and numpy, which those would import
for conveniences the writer never uses, are kept out before anything is imported: a writer
process then holds about 70 MB instead of 110 MB.
"""

import sys

from loadbay.kit.memory import limit_arenas, system_arrow_pool

limit_arenas()
for _unused in ("polars", "numpy", "pandas"):
    sys.modules.setdefault(_unused, None)  # type: ignore[arg-type]

from loadbay.importing.sqlite_child import serve  # noqa: E402

if __name__ == "__main__":
    system_arrow_pool()
    serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
