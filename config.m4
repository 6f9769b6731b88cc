dnl multiverse: phpize / pecl build of the PHP extension (ext-php/) together
dnl with the C core (core/), which is compiled into the same shared object.
dnl
dnl   phpize && ./configure && make && make install
dnl
dnl The core runs every task under a supervisor process whose executable is
dnl embedded into the extension: it is built first (the compiler
dnl core/supervisor-cc.sh picks, no PHP flags) as ./mv-supervisor, then core/src/image_data.c includes it with
dnl .incbin. See ext-php/Makefile.frag.

PHP_ARG_ENABLE([multiverse],
  [whether to enable multiverse support],
  [AS_HELP_STRING([--enable-multiverse],
    [Enable multiverse: supervised process workers and fork-based parallelism])],
  [yes])

if test "$PHP_MULTIVERSE" != "no"; then
  case $host_os in
    linux*) ;;
    *) AC_MSG_ERROR([multiverse needs Linux (pidfd, prctl, epoll, memfd)]) ;;
  esac

  PKG_CHECK_MODULES([CJSON], [libcjson], [],
    [AC_MSG_ERROR([libcjson not found (Debian/Ubuntu: apt-get install libcjson-dev pkg-config)])])
  PHP_EVAL_INCLINE([$CJSON_CFLAGS])
  PHP_EVAL_LIBLINE([$CJSON_LIBS], [MULTIVERSE_SHARED_LIBADD])
  PHP_SUBST([MULTIVERSE_SHARED_LIBADD])

  mv_ext_sources="ext-php/multiverse.c ext-php/config.c ext-php/exceptions.c \
    ext-php/payload.c ext-php/loops.c ext-php/job.c ext-php/fork_child.c \
    ext-php/worker_call.c ext-php/process.c \
    ext-php/fork_process.c ext-php/process_manager.c ext-php/process_pool.c \
    ext-php/hosting.c"
  dnl The core's sources: core/sources.txt is the one list (CMakeLists.txt
  dnl and setup.py read it too). image_data.c is compiled apart, below.
  mv_sources_txt="$srcdir/core/sources.txt"
  test -f "$mv_sources_txt" || mv_sources_txt="$ext_srcdir/core/sources.txt"
  test -f "$mv_sources_txt" || AC_MSG_ERROR([core/sources.txt not found])
  mv_core_sources=""
  for mv_f in `sed -n 's/^library = //p' "$mv_sources_txt"`; do
    test "$mv_f" = image_data.c || mv_core_sources="$mv_core_sources core/src/$mv_f"
  done
  MV_SUPERVISOR_SOURCES=""
  for mv_f in `sed -n 's/^supervisor = //p' "$mv_sources_txt"`; do
    MV_SUPERVISOR_SOURCES="$MV_SUPERVISOR_SOURCES \$(srcdir)/core/src/$mv_f"
  done
  PHP_SUBST([MV_SUPERVISOR_SOURCES])
  dnl Its compiler: core/supervisor-cc.sh decides for every build.
  mv_supervisor_cc_sh="$srcdir/core/supervisor-cc.sh"
  test -f "$mv_supervisor_cc_sh" || mv_supervisor_cc_sh="$ext_srcdir/core/supervisor-cc.sh"
  test -f "$mv_supervisor_cc_sh" || AC_MSG_ERROR([core/supervisor-cc.sh not found])
  MV_SUPERVISOR_CC=`sh "$mv_supervisor_cc_sh" $CC`
  test -n "$MV_SUPERVISOR_CC" || AC_MSG_ERROR([core/supervisor-cc.sh chose no compiler])
  AC_MSG_NOTICE([multiverse supervisor compiler: $MV_SUPERVISOR_CC])
  PHP_SUBST([MV_SUPERVISOR_CC])

  dnl The core's own flags; symbols stay hidden so that only get_module is
  dnl exported from the extension.
  mv_cflags="-D_GNU_SOURCE -I@ext_srcdir@/core/include -I@ext_srcdir@/core/src -I@ext_srcdir@/ext-php -fvisibility=hidden"

  PHP_NEW_EXTENSION(multiverse, $mv_ext_sources $mv_core_sources, $ext_shared,, [$mv_cflags])
  PHP_ADD_BUILD_DIR([$ext_builddir/ext-php $ext_builddir/core/src], 1)

  dnl image_data.c embeds the supervisor executable by absolute path.
  mv_supervisor="$abs_builddir/mv-supervisor"
  mv_image_cflags="-D_GNU_SOURCE -I$ext_srcdir/core/include -I$ext_srcdir/core/src -fvisibility=hidden -DMV_SUPERVISOR_BIN='\"$mv_supervisor\"'"
  PHP_ADD_SOURCES_X(PHP_EXT_DIR(multiverse), [core/src/image_data.c], [$mv_image_cflags],
    [shared_objects_multiverse], [yes])

  PHP_ADD_MAKEFILE_FRAGMENT([$ext_srcdir/ext-php/Makefile.frag])
fi
