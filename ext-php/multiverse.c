/*
 * multiverse: module entry, INI settings, request lifecycle and class
 * registration (from the arginfo generated out of multiverse.stub.php).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include "php.h"
#include "php_ini.h"
#include "ext/standard/info.h"
#include "zend_exceptions.h"
#include "ext/spl/spl_exceptions.h"

#include "php_multiverse.h"
#include "multiverse_arginfo.h"

ZEND_DECLARE_MODULE_GLOBALS(multiverse)

zend_class_entry *mvphp_ce_WorkerException;
zend_class_entry *mvphp_ce_TimeoutException;
zend_class_entry *mvphp_ce_TaskException;
zend_class_entry *mvphp_ce_ForkProcess;
zend_class_entry *mvphp_ce_ProcessManager;
zend_class_entry *mvphp_ce_ProcessPool;

/* INI --------------------------------------------------------------------- */

/* Seconds: finite, >= 0, at most a year (the core's own rule). */
static ZEND_INI_MH(OnUpdateSeconds) {
  (void)mh_arg3;
  (void)stage;
  double v = zend_strtod(ZSTR_VAL(new_value), NULL);
  if (ZSTR_LEN(new_value) == 0 || mv_check_timeout(v, ZSTR_VAL(entry->name)) < 0) {
    php_error_docref(NULL, E_WARNING, "Invalid \"%s\" setting: %s", ZSTR_VAL(entry->name),
                     ZSTR_LEN(new_value) ? mv_last_error() : "empty value");
    return FAILURE;
  }
  *(double *)ZEND_INI_GET_ADDR() = v;
  return SUCCESS;
}

/* Bytes, with PHP's K/M/G suffixes; must be > 0. */
static ZEND_INI_MH(OnUpdateMaxOutput) {
  (void)mh_arg3;
  (void)stage;
  zend_long v = zend_ini_parse_quantity_warn(new_value, entry->name);
  if (v <= 0) {
    php_error_docref(NULL, E_WARNING, "Invalid \"%s\" setting: must be > 0",
                     ZSTR_VAL(entry->name));
    return FAILURE;
  }
  *(zend_long *)ZEND_INI_GET_ADDR() = v;
  return SUCCESS;
}

/* The registry directory is shared with other processes: only absolute
 * paths, so that every process of the user means the same directory. */
static ZEND_INI_MH(OnUpdateRuntimeDir) {
  if (ZSTR_LEN(new_value) && ZSTR_VAL(new_value)[0] != '/') {
    php_error_docref(NULL, E_WARNING,
                     "Invalid \"multiverse.runtime_dir\" setting: must be an absolute path");
    return FAILURE;
  }
  return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

/* The registry namespace: checked as configure() checks it, so that a bad
 * value is refused where it is set. Empty means the default. */
static ZEND_INI_MH(OnUpdateNamespace) {
  if (ZSTR_LEN(new_value) &&
      (strlen(ZSTR_VAL(new_value)) != ZSTR_LEN(new_value) ||
       mv_check_namespace(ZSTR_VAL(new_value)) < 0)) {
    php_error_docref(NULL, E_WARNING, "Invalid \"multiverse.namespace\" setting: %s",
                     strlen(ZSTR_VAL(new_value)) != ZSTR_LEN(new_value) ? "contains a NUL byte"
                                                                        : mv_last_error());
    return FAILURE;
  }
  return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

PHP_INI_BEGIN()
STD_PHP_INI_ENTRY("multiverse.workers_path", "", PHP_INI_ALL, OnUpdateString,
                  ini_workers_path, zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_ENTRY("multiverse.timeout", "0", PHP_INI_ALL, OnUpdateSeconds, ini_timeout,
                  zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_ENTRY("multiverse.kill_grace", "2.0", PHP_INI_ALL, OnUpdateSeconds,
                  ini_kill_grace, zend_multiverse_globals, multiverse_globals)
/* The programs run and the registry: the server's to choose, not a
 * script's (API.md §2); configure() may still override them unless
 * multiverse.lock_config is on. */
STD_PHP_INI_ENTRY("multiverse.python", "", PHP_INI_SYSTEM | PHP_INI_PERDIR, OnUpdateString,
                  ini_python, zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_ENTRY("multiverse.node", "", PHP_INI_SYSTEM | PHP_INI_PERDIR, OnUpdateString,
                  ini_node, zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_ENTRY("multiverse.php", "", PHP_INI_SYSTEM | PHP_INI_PERDIR, OnUpdateString,
                  ini_php, zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_ENTRY("multiverse.max_output", "64M", PHP_INI_ALL, OnUpdateMaxOutput,
                  ini_max_output, zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_ENTRY("multiverse.runtime_dir", "", PHP_INI_SYSTEM | PHP_INI_PERDIR,
                  OnUpdateRuntimeDir, ini_runtime_dir, zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_ENTRY("multiverse.namespace", "default", PHP_INI_ALL, OnUpdateNamespace,
                  ini_namespace, zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_BOOLEAN("multiverse.inherit_env", "1", PHP_INI_ALL, OnUpdateBool, ini_inherit_env,
                    zend_multiverse_globals, multiverse_globals)
/* Hosting restrictions (hosting.c): the server's alone. */
STD_PHP_INI_BOOLEAN("multiverse.enabled", "1", PHP_INI_SYSTEM, OnUpdateBool, ini_enabled,
                    zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_BOOLEAN("multiverse.allow_fork", "1", PHP_INI_SYSTEM, OnUpdateBool, ini_allow_fork,
                    zend_multiverse_globals, multiverse_globals)
STD_PHP_INI_BOOLEAN("multiverse.lock_config", "0", PHP_INI_SYSTEM, OnUpdateBool,
                    ini_lock_config, zend_multiverse_globals, multiverse_globals)
PHP_INI_END()

/* Lifecycle --------------------------------------------------------------- */

static PHP_GINIT_FUNCTION(multiverse) {
#if defined(COMPILE_DL_MULTIVERSE) && defined(ZTS)
  ZEND_TSRMLS_CACHE_UPDATE();
#endif
  memset(multiverse_globals, 0, sizeof(*multiverse_globals));
  mv_config_init(&multiverse_globals->overrides);
}

static PHP_MINIT_FUNCTION(multiverse) {
  REGISTER_INI_ENTRIES();

  register_class_Multiverse_MultiWorker();
  mvphp_ce_WorkerException = register_class_Multiverse_WorkerException(spl_ce_RuntimeException);
  mvphp_ce_TimeoutException = register_class_Multiverse_TimeoutException(mvphp_ce_WorkerException);
  mvphp_ce_TaskException = register_class_Multiverse_TaskException(mvphp_ce_WorkerException);
  register_class_Multiverse_Process();
  mvphp_ce_ForkProcess = register_class_Multiverse_ForkProcess();
  mvphp_ce_ProcessManager = register_class_Multiverse_ProcessManager();
  mvphp_ce_ProcessPool = register_class_Multiverse_ProcessPool();
  mvphp_fork_process_minit(mvphp_ce_ForkProcess);
  mvphp_process_manager_minit(mvphp_ce_ProcessManager);
  mvphp_process_pool_minit(mvphp_ce_ProcessPool);
  return SUCCESS;
}

/* The warm pools outlive requests: their processes retire here, with the
 * PHP process (the CLI, an FPM worker, the CLI server). */
static PHP_MSHUTDOWN_FUNCTION(multiverse) {
  mvphp_worker_loop_shutdown();
  UNREGISTER_INI_ENTRIES();
  return SUCCESS;
}

static PHP_RINIT_FUNCTION(multiverse) {
  (void)type;
  (void)module_number;
#if defined(COMPILE_DL_MULTIVERSE) && defined(ZTS)
  ZEND_TSRMLS_CACHE_UPDATE();
#endif
  return SUCCESS;
}

/* Objects that own loops are freed after RSHUTDOWN and release their loops
 * themselves; what is left on the list here was abandoned by a fatal error
 * in the middle of a call: free it, which kills anything still running.
 * MultiWorker's loop stays for the warm pools in it (see loops.c).
 * configure() overrides, "warm" included, last for one request. */
static PHP_RSHUTDOWN_FUNCTION(multiverse) {
  (void)type;
  (void)module_number;
  mvphp_worker_loop_request_end();
  mvphp_loops_shutdown();
  mvphp_config_request_shutdown();
  return SUCCESS;
}

static PHP_MINFO_FUNCTION(multiverse) {
  php_info_print_table_start();
  php_info_print_table_row(2, "multiverse support",
                           MVPHP_G(ini_enabled) ? "enabled" : "disabled (multiverse.enabled=0)");
  php_info_print_table_row(2, "version", PHP_MULTIVERSE_VERSION);
  php_info_print_table_row(2, "containment", mv_containment_probe(MV_CONTAIN_AUTO));
  php_info_print_table_end();
  DISPLAY_INI_ENTRIES();
}

static const zend_module_dep multiverse_deps[] = {
  ZEND_MOD_REQUIRED("json")
  ZEND_MOD_REQUIRED("spl")
  ZEND_MOD_REQUIRED("standard")
  ZEND_MOD_END
};

zend_module_entry multiverse_module_entry = {
  STANDARD_MODULE_HEADER_EX,
  NULL,
  multiverse_deps,
  "multiverse",
  NULL,
  PHP_MINIT(multiverse),
  PHP_MSHUTDOWN(multiverse),
  PHP_RINIT(multiverse),
  PHP_RSHUTDOWN(multiverse),
  PHP_MINFO(multiverse),
  PHP_MULTIVERSE_VERSION,
  PHP_MODULE_GLOBALS(multiverse),
  PHP_GINIT(multiverse),
  NULL,
  NULL,
  STANDARD_MODULE_PROPERTIES_EX
};

#ifdef COMPILE_DL_MULTIVERSE
#ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
#endif
ZEND_GET_MODULE(multiverse)
#endif
