/*
 * Hosting restrictions (API.md §2): what a server's PHP configuration
 * forbids, the extension forbids too, before any process starts.
 *
 *   multiverse.enabled=0        every entry point (the classes stay
 *                               declared, so code can catch the exception)
 *   proc_open disabled          MultiWorker::run/runMany: starting a worker
 *                               is what proc_open does (an argv, no shell)
 *   pcntl_fork disabled,        the Process family: forking this process is
 *   multiverse.allow_fork=0     what pcntl_fork does
 *   open_basedir                workers_path, each worker's entry file and
 *                               the program exec'd for it (its interpreter,
 *                               or the executable `main`)
 *   multiverse.lock_config=1    configure() may not set the interpreters
 *                               or runtime_dir
 *
 * "Disabled" means what PHP itself would do. A function is disabled when
 * disable_functions lists it: the INI string is read, since pcntl need not
 * be loaded for its functions to be forbidden (the extension forks without
 * it). It is also disabled when its extension is loaded but the function
 * is not in the function table: PHP removes disabled functions from it, and
 * a later value of disable_functions (FPM's php_admin_value) replaces the
 * string without bringing them back. Names are compared without regard to
 * case (PHP matches them exactly, in lower case; a host that wrote
 * "Proc_Open" meant it). open_basedir is checked with PHP's own
 * php_check_open_basedir_ex() (symlinks resolved).
 *
 * Each failure is a WorkerException with code DISABLED whose message names
 * the entry point and the directive.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <strings.h>

#include "php.h"
#include "php_ini.h"
#include "fopen_wrappers.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

/* Throw the DISABLED WorkerException: "<entry point>(): <why>". */
static void mvphp_disabled(const char *worker, const char *driver, const char *fmt, ...)
    ZEND_ATTRIBUTE_FORMAT(printf, 3, 4);

static void mvphp_disabled(const char *worker, const char *driver, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *why = NULL;
  zend_vspprintf(&why, 0, fmt, ap);
  va_end(ap);
  zend_string *entry = EG(current_execute_data) ? get_active_function_or_method_name() : NULL;
  char *msg = NULL;
  zend_spprintf(&msg, 0, "%s(): %s", entry ? ZSTR_VAL(entry) : "multiverse", why);
  if (entry) zend_string_release(entry);
  efree(why);
  zval ex;
  mvphp_exception_simple(&ex, mvphp_ce_WorkerException, worker, driver, MVPHP_CODE_DISABLED, msg);
  efree(msg);
  zend_throw_exception_object(&ex);
}

/* `name` is one of the names of a disable_functions list (separated by
 * ',' or white space). */
static bool mvphp_listed(const char *list, const char *name) {
  size_t n = strlen(name);
  const char *sep = ", \t\r\n";
  for (const char *p = list; p && *p;) {
    p += strspn(p, sep);
    size_t len = strcspn(p, sep);
    if (len == n && strncasecmp(p, name, n) == 0) return true;
    p += len;
  }
  return false;
}

static bool mvphp_function_disabled(const char *name, const char *module) {
  if (mvphp_listed(INI_STR("disable_functions"), name)) return true;
  return zend_hash_str_exists(&module_registry, module, strlen(module)) &&
         !zend_hash_str_exists(CG(function_table), name, strlen(name));
}

zend_result mvphp_hosting_enabled(void) {
  if (MVPHP_G(ini_enabled)) return SUCCESS;
  mvphp_disabled("", "", "multiverse is turned off on this server (multiverse.enabled=0)");
  return FAILURE;
}

zend_result mvphp_hosting_spawn(void) {
  if (mvphp_hosting_enabled() == FAILURE) return FAILURE;
  if (!mvphp_function_disabled("proc_open", "standard")) return SUCCESS;
  mvphp_disabled("", "", "cannot start worker processes: proc_open is disabled by the "
                 "disable_functions directive of this server");
  return FAILURE;
}

bool mvphp_hosting_fork_allowed(void) {
  return MVPHP_G(ini_enabled) && MVPHP_G(ini_allow_fork) &&
         !mvphp_function_disabled("pcntl_fork", "pcntl");
}

zend_result mvphp_hosting_fork(void) {
  if (mvphp_hosting_enabled() == FAILURE) return FAILURE;
  if (!MVPHP_G(ini_allow_fork)) {
    mvphp_disabled("", "fork", "cannot fork: forking is turned off on this server "
                   "(multiverse.allow_fork=0)");
    return FAILURE;
  }
  if (mvphp_function_disabled("pcntl_fork", "pcntl")) {
    mvphp_disabled("", "fork", "cannot fork: pcntl_fork is disabled by the disable_functions "
                   "directive of this server");
    return FAILURE;
  }
  return SUCCESS;
}

zend_result mvphp_hosting_paths(const mv_config_t *cfg, const char *name, const mv_worker_t *w) {
  const char *basedir = PG(open_basedir);
  if (basedir == NULL || *basedir == '\0') return SUCCESS;
  if (w == NULL) {
    const char *wp = cfg->workers_path ? cfg->workers_path : ".";
    if (php_check_open_basedir_ex(wp, 0) == 0) return SUCCESS;
    mvphp_disabled(name ? name : "", "", "workers_path '%s' is outside open_basedir (%s)", wp,
                   basedir);
    return FAILURE;
  }
  const char *driver = mv_driver_name(w->driver);
  if (w->script && php_check_open_basedir_ex(w->script, 0) != 0) {
    mvphp_disabled(name, driver, "worker '%s': its file '%s' is outside open_basedir (%s)", name,
                   w->script, basedir);
    return FAILURE;
  }
  const char *prog = w->argv ? w->argv[0] : NULL;
  if (prog && (w->script == NULL || strcmp(prog, w->script) != 0) &&
      php_check_open_basedir_ex(prog, 0) != 0) {
    mvphp_disabled(name, driver, "worker '%s': the %s interpreter '%s' is outside open_basedir (%s)",
                   name, driver, prog, basedir);
    return FAILURE;
  }
  return SUCCESS;
}

zend_result mvphp_hosting_configure(const char *key) {
  if (!MVPHP_G(ini_lock_config)) return SUCCESS;
  mvphp_disabled("", "", "option \"%s\" cannot be set: multiverse.lock_config=1 keeps the "
                 "interpreters and runtime_dir at this server's multiverse.* settings", key);
  return FAILURE;
}
