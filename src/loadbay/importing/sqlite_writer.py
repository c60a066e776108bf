"""The SQLite writer process (:mod:`sqlite_child`), run as ``-m loadbay.importing.sqlite_writer``.

The process needs pyarrow and the ADBC driver only. polars and numpy, which those would import
for conveniences the writer never uses, are kept out before anything is imported: a writer
process then holds about 70 MB instead of 110 MB. SQLAlchemy is kept out too: a step that
carried one of its objects (a table's name as its quoted_name) made the writer import it to
unpickle the step; now such a step fails at once, in every SQLite import test.
"""

import sys

from loadbay.kit.memory import limit_arenas, system_arrow_pool

limit_arenas()
for _unused in ("polars", "numpy", "pandas", "sqlalchemy"):
    sys.modules.setdefault(_unused, None)  # type: ignore[arg-type]

from loadbay.importing.sqlite_child import serve  # noqa: E402

if __name__ == "__main__":
    system_arrow_pool()
    serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
