"""Build of the Python package `multiverse` (metadata is in pyproject.toml).

The extension `multiverse._core` is the binding in ext-python/src plus the
C core compiled in (no shared libmultiverse to install next to it). The
core embeds its supervisor executable, so the build first compiles and
links `mv-supervisor` into the build's temp dir, then compiles
core/src/image_data.c with MV_SUPERVISOR_BIN naming that file (the same
two steps as CMakeLists.txt, whose source lists this build reuses).
"""
import os
import re
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CORE_SRC = "core/src"
CORE_INCLUDE = "core/include"

# Used only when CMakeLists.txt cannot be read (see cmake_sources()).
FALLBACK_SUPERVISOR = ["supervisor.c", "forkserver.c", "contain.c", "spawn.c", "registry.c", "procinfo.c",
                       "util.c", "error.c", "worker.c", "config.c"]
FALLBACK_LIBRARY = ["error.c", "util.c", "procinfo.c", "config.c", "worker.c", "spawn.c",
                    "contain.c", "registry.c", "capture.c", "json.c", "remote_error.c",
                    "loop.c", "task_start.c", "forkserver_client.c", "clone_vm.c", "env.c", "report.c", "pool.c", "image.c", "image_data.c"]


def cmake_sources(variable, fallback):
    """The core files named by set(<variable> ...) in CMakeLists.txt, so
    this build follows the core's own list when files are added."""
    try:
        with open("CMakeLists.txt") as f:
            text = f.read()
    except OSError:
        text = ""
    m = re.search(r"set\(\s*%s\s+(.*?)\)" % variable, text, re.S)
    names = re.findall(r"\$\{MV_SRC\}/([\w.-]+\.c)", m.group(1)) if m else []
    return names or [n for n in fallback
                     if n == "remote_error.c" or os.path.exists(os.path.join(CORE_SRC, n))]


def core_path(name):
    return os.path.join(CORE_SRC, name)


def supervisor_sources():
    names = cmake_sources("MV_SUPERVISOR_SOURCES", FALLBACK_SUPERVISOR) + ["supervisor_main.c"]
    return [core_path(n) for n in names]


def core_library_sources():
    return [core_path(n) for n in cmake_sources("MV_LIB_SOURCES", FALLBACK_LIBRARY)]


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
        out_dir = os.path.abspath(os.path.join(self.build_temp, "supervisor"))
        objects = self.compiler.compile(
            supervisor_sources(),
            output_dir=out_dir,
            macros=[("_GNU_SOURCE", None)],
            include_dirs=[CORE_INCLUDE],
            extra_postargs=["-std=gnu11", "-Wall", "-Wextra"],
            debug=self.debug,
        )
        self.compiler.link_executable(objects, "mv-supervisor", output_dir=out_dir)
        return os.path.join(out_dir, "mv-supervisor")


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
    ext_modules=[extension()],
    cmdclass={"build_ext": BuildExt},
    # build/ itself is CMake's build directory: keep setuptools' files apart.
    options={"build": {"build_base": "build/python"}},
)
