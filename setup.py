"""Build of the Python package `multiverse` (metadata is in pyproject.toml).

The extension `multiverse._core` is the binding in ext-python/src plus the
C core compiled in (no shared libmultiverse to install next to it). The
core embeds its supervisor executable, so the build first compiles and
links `mv-supervisor` into the build's temp dir (with the compiler
core/supervisor-cc.sh picks), then compiles
core/src/image_data.c with MV_SUPERVISOR_BIN naming that file (the same
two steps as CMakeLists.txt; both read their source lists from
core/sources.txt, and the version from core/include/multiverse.h).
"""
import os
import re
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CORE_SRC = "core/src"
CORE_INCLUDE = "core/include"

def core_sources(kind):
    """The core files of one kind ("supervisor" or "library") from
    core/sources.txt, the list CMake and config.m4 read too."""
    with open(os.path.join("core", "sources.txt")) as f:
        for line in f:
            name, sep, files = line.partition(" = ")
            if sep and name == kind:
                return files.split()
    raise SystemExit("multiverse: core/sources.txt has no %r list" % kind)


def core_version():
    """MV_VERSION_STRING from the public header, the one place it is written."""
    with open(os.path.join(CORE_INCLUDE, "multiverse.h")) as f:
        m = re.search(r'^#define MV_VERSION_STRING "([^"]+)"', f.read(), re.M)
    if m is None:
        raise SystemExit("multiverse: no MV_VERSION_STRING in multiverse.h")
    return m.group(1)


def core_path(name):
    return os.path.join(CORE_SRC, name)


def supervisor_sources():
    return [core_path(n) for n in core_sources("supervisor")]


def core_library_sources():
    return [core_path(n) for n in core_sources("library")]


def cjson_flags():
    """Include dirs and libraries for cJSON, from pkg-config when present."""
    try:
        cflags = subprocess.run(["pkg-config", "--cflags-only-I", "libcjson"], check=True,
                                capture_output=True, text=True).stdout.split()
        libs = subprocess.run(["pkg-config", "--libs-only-l", "libcjson"], check=True,
                              capture_output=True, text=True).stdout.split()
        return [f[2:] for f in cflags], [f[2:] for f in libs] or ["cjson"]
    except (OSError, subprocess.CalledProcessError):
        return ["/usr/include/cjson"], ["cjson"]


class BuildExt(build_ext):
    """build_ext that builds the supervisor before the extension embeds it."""

    def build_extension(self, ext):
        if ext.name == "multiverse._core":
            supervisor = self.build_supervisor()
            if '"' in supervisor or "\\" in supervisor:
                raise SystemExit("multiverse: build path must not contain quotes or "
                                 "backslashes: %s" % supervisor)
            ext.define_macros = [m for m in ext.define_macros if m[0] != "MV_SUPERVISOR_BIN"]
            ext.define_macros.append(("MV_SUPERVISOR_BIN", '"%s"' % supervisor))
            ext.depends = list(ext.depends) + [supervisor]
        super().build_extension(ext)

    def build_supervisor(self):
        """Compile and link the supervisor in one step with the compiler
        core/supervisor-cc.sh picks (musl when available: see there)."""
        out_dir = os.path.abspath(os.path.join(self.build_temp, "supervisor"))
        os.makedirs(out_dir, exist_ok=True)
        out = os.path.join(out_dir, "mv-supervisor")
        fallback = self.compiler.compiler_so[:1]
        cc = subprocess.run(["sh", "core/supervisor-cc.sh"] + fallback, check=True,
                            capture_output=True, text=True).stdout.split()
        cmd = cc + ["-std=gnu11", "-O2", "-g", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                    "-I" + CORE_INCLUDE, "-I" + CORE_SRC, "-o", out] + supervisor_sources()
        print(" ".join(cmd))
        subprocess.run(cmd, check=True)
        return out


def extension():
    include_dirs, libraries = cjson_flags()
    binding = sorted(os.path.join("ext-python/src", f)
                     for f in os.listdir("ext-python/src") if f.endswith(".c"))
    headers = [os.path.join(d, f) for d in (CORE_SRC, CORE_INCLUDE, "ext-python/src")
               for f in os.listdir(d) if f.endswith(".h")]
    return Extension(
        "multiverse._core",
        sources=binding + core_library_sources(),
        include_dirs=[CORE_INCLUDE, CORE_SRC, "ext-python/src"] + include_dirs,
        libraries=libraries + ["pthread"],
        define_macros=[("_GNU_SOURCE", None)],
        extra_compile_args=["-std=gnu11", "-Wall", "-Wextra", "-fvisibility=hidden"],
        depends=headers + supervisor_sources(),
    )


# Paths above are relative to this file, whatever the caller's cwd.
os.chdir(os.path.dirname(os.path.abspath(__file__)))
setup(
    version=core_version(),
    ext_modules=[extension()],
    cmdclass={"build_ext": BuildExt},
    # build/ itself is CMake's build directory: keep setuptools' files apart.
    options={"build": {"build_base": "build/python"}},
)
