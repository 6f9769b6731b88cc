/*
 * ProcessPool: Process::map/filter/reduce with a fixed worker count.
 *
 * Each call forks its chunk children and waits for them; the loop that
 * drives them lives for the duration of the call (a pool keeps nothing
 * running between calls).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

typedef struct {
  zend_long workers;
  zend_object std;
} mvphp_pool_obj;

static zend_object_handlers mvphp_pool_handlers;

static inline mvphp_pool_obj *mvphp_pool_from(zend_object *obj) {
  return (mvphp_pool_obj *)((char *)obj - XtOffsetOf(mvphp_pool_obj, std));
}

static zend_object *mvphp_pool_create(zend_class_entry *ce) {
  mvphp_pool_obj *p = zend_object_alloc(sizeof(mvphp_pool_obj), ce);
  p->workers = mv_cpu_count();
  zend_object_std_init(&p->std, ce);
  object_properties_init(&p->std, ce);
  p->std.handlers = &mvphp_pool_handlers;
  return &p->std;
}

void mvphp_process_pool_minit(zend_class_entry *ce) {
  ce->create_object = mvphp_pool_create;
  memcpy(&mvphp_pool_handlers, zend_get_std_object_handlers(), sizeof(zend_object_handlers));
  mvphp_pool_handlers.offset = XtOffsetOf(mvphp_pool_obj, std);
  mvphp_pool_handlers.clone_obj = NULL;
}

ZEND_METHOD(Multiverse_ProcessPool, __construct) {
  zend_long workers = 0;
  bool workers_null = 1;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG_OR_NULL(workers, workers_null)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  zend_long count;
  if (mvphp_worker_count(&count, workers, workers_null, 1) == FAILURE) RETURN_THROWS();
  mvphp_pool_from(Z_OBJ_P(ZEND_THIS))->workers = count;
}

void mvphp_process_pool_new(zval *out, zend_long workers) {
  object_init_ex(out, mvphp_ce_ProcessPool);
  mvphp_pool_from(Z_OBJ_P(out))->workers = workers;
}

static void mvphp_pool_chunked(INTERNAL_FUNCTION_PARAMETERS, mvphp_chunk_mode mode) {
  HashTable *items;
  zend_fcall_info fci;
  zend_fcall_info_cache fcc;
  zval *initial = NULL, null_initial;
  ZVAL_NULL(&null_initial);
  ZEND_PARSE_PARAMETERS_START(2, mode == MVPHP_REDUCE ? 3 : 2)
    Z_PARAM_ARRAY_HT(items)
    Z_PARAM_FUNC(fci, fcc)
    Z_PARAM_OPTIONAL
    Z_PARAM_ZVAL(initial)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_fork() == FAILURE) RETURN_THROWS();
  mvphp_chunked(return_value, items, &fci, &fcc, mode, initial ? initial : &null_initial,
                mvphp_pool_from(Z_OBJ_P(ZEND_THIS))->workers, NULL, NULL);
}

ZEND_METHOD(Multiverse_ProcessPool, map) {
  mvphp_pool_chunked(INTERNAL_FUNCTION_PARAM_PASSTHRU, MVPHP_MAP);
}

ZEND_METHOD(Multiverse_ProcessPool, filter) {
  mvphp_pool_chunked(INTERNAL_FUNCTION_PARAM_PASSTHRU, MVPHP_FILTER);
}

ZEND_METHOD(Multiverse_ProcessPool, reduce) {
  mvphp_pool_chunked(INTERNAL_FUNCTION_PARAM_PASSTHRU, MVPHP_REDUCE);
}
