"""A process that imports keeps few malloc arenas and gives pyarrow's buffers back to malloc."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from loadbay.kit.memory import ARENAS

# Eight threads allocating at once: glibc gives each its own arena unless it is told otherwise.
_ARENAS_AFTER_THREADS = textwrap.dedent(
    """
    import ctypes, os, re, sys, tempfile, threading
    if sys.argv[1] == "limited":
        from loadbay.kit.memory import limit_arenas
        limit_arenas()
    start = threading.Barrier(8)
    def allocate():
        start.wait()
        blocks = [bytearray(2000) for _ in range(20000)]
        del blocks
    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    libc = ctypes.CDLL(None)
    libc.fdopen.restype = ctypes.c_void_p
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    with tempfile.TemporaryFile() as out:
        stream = libc.fdopen(os.dup(out.fileno()), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        out.seek(0)
        print(len(re.findall(rb"<heap nr=", out.read())))
    """
)


def _arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _ARENAS_AFTER_THREADS, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc arenas are glibc's (Linux)")
def test_the_arena_limit_holds_for_threads_that_allocate() -> None:
    assert _arenas("limited") <= ARENAS
    # Without it the same threads make more: the limit is what makes the difference.
    assert _arenas("default") > ARENAS


def test_pyarrow_allocates_from_malloc() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from loadbay.kit.memory import system_arrow_pool; system_arrow_pool(); "
            "import pyarrow as pa; print(pa.default_memory_pool().backend_name)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "system"
