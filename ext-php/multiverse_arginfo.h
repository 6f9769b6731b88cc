/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: 6ecbde638355777daee09645376abbdee5415c98 */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_MultiWorker_run, 0, 1, IS_MIXED, 0)
	ZEND_ARG_TYPE_INFO(0, worker, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, payload, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, timeout, IS_DOUBLE, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_MultiWorker_runMany, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, calls, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, concurrency, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, timeout, IS_DOUBLE, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, progress, IS_CALLABLE, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_MultiWorker_clear, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, worker, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, all, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_MultiWorker_running, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, worker, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, all, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_MultiWorker_configure, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, options, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_MultiWorker_config, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_WorkerException_getWorkerName, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_WorkerException_getDriver arginfo_class_Multiverse_WorkerException_getWorkerName

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_WorkerException_getExitCode, 0, 0, IS_LONG, 1)
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_WorkerException_getSignal arginfo_class_Multiverse_WorkerException_getExitCode

#define arginfo_class_Multiverse_WorkerException_getErrorOutput arginfo_class_Multiverse_WorkerException_getWorkerName

#define arginfo_class_Multiverse_WorkerException_getOutput arginfo_class_Multiverse_WorkerException_getWorkerName

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_WorkerException_getRemoteType, 0, 0, IS_STRING, 1)
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_WorkerException_getRemoteMessage arginfo_class_Multiverse_WorkerException_getRemoteType

#define arginfo_class_Multiverse_WorkerException_getRemoteTrace arginfo_class_Multiverse_MultiWorker_config

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_WorkerException_getElapsed, 0, 0, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_WorkerException_getErrors arginfo_class_Multiverse_MultiWorker_config

#define arginfo_class_Multiverse_TimeoutException_getTimeout arginfo_class_Multiverse_WorkerException_getElapsed

#define arginfo_class_Multiverse_TaskException_getOriginalClass arginfo_class_Multiverse_WorkerException_getWorkerName

#define arginfo_class_Multiverse_TaskException_getOriginalFile arginfo_class_Multiverse_WorkerException_getWorkerName

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_TaskException_getOriginalLine, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_TaskException_getOriginalTrace arginfo_class_Multiverse_WorkerException_getWorkerName

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_MASK_EX(arginfo_class_Multiverse_TaskException_getOriginalCode, 0, 0, MAY_BE_LONG|MAY_BE_STRING)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_Process_run, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, tasks, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, maxConcurrent, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, timeout, IS_DOUBLE, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, progress, IS_CALLABLE, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_Process_map, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, items, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, workerCount, IS_LONG, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, progress, IS_CALLABLE, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_Process_filter arginfo_class_Multiverse_Process_map

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_Process_reduce, 0, 2, IS_MIXED, 0)
	ZEND_ARG_TYPE_INFO(0, items, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, initial, IS_MIXED, 0, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, workerCount, IS_LONG, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Multiverse_Process_fork, 0, 1, Multiverse\\ForkProcess, 0)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, args, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Multiverse_Process_manager, 0, 0, Multiverse\\ProcessManager, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Multiverse_Process_pool, 0, 0, Multiverse\\ProcessPool, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, workerCount, IS_LONG, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_Process_isSupported, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_Process_getCpuCores arginfo_class_Multiverse_TaskException_getOriginalLine

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Multiverse_ForkProcess___construct, 0, 0, 1)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, args, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_ForkProcess_start arginfo_class_Multiverse_Process_isSupported

#define arginfo_class_Multiverse_ForkProcess_isRunning arginfo_class_Multiverse_Process_isSupported

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_ForkProcess_wait, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, timeout, IS_DOUBLE, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_ForkProcess_getPid arginfo_class_Multiverse_WorkerException_getExitCode

#define arginfo_class_Multiverse_ForkProcess_getExitCode arginfo_class_Multiverse_WorkerException_getExitCode

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_ForkProcess_kill, 0, 0, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, signal, IS_LONG, 0, "15")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_ForkProcess_getOutput, 0, 0, IS_MIXED, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_ProcessManager_add arginfo_class_Multiverse_Process_fork

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_ProcessManager_run, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, maxConcurrent, IS_LONG, 0, "4")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, timeout, IS_DOUBLE, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, progress, IS_CALLABLE, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_ProcessManager_wait arginfo_class_Multiverse_MultiWorker_config

#define arginfo_class_Multiverse_ProcessManager_getRunningCount arginfo_class_Multiverse_TaskException_getOriginalLine

#define arginfo_class_Multiverse_ProcessManager_hasRunning arginfo_class_Multiverse_Process_isSupported

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_ProcessManager_killAll, 0, 0, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, signal, IS_LONG, 0, "15")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Multiverse_ProcessPool___construct, 0, 0, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, workerCount, IS_LONG, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_ProcessPool_map, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, items, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Multiverse_ProcessPool_filter arginfo_class_Multiverse_ProcessPool_map

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Multiverse_ProcessPool_reduce, 0, 2, IS_MIXED, 0)
	ZEND_ARG_TYPE_INFO(0, items, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, initial, IS_MIXED, 0, "null")
ZEND_END_ARG_INFO()


ZEND_METHOD(Multiverse_MultiWorker, run);
ZEND_METHOD(Multiverse_MultiWorker, runMany);
ZEND_METHOD(Multiverse_MultiWorker, clear);
ZEND_METHOD(Multiverse_MultiWorker, running);
ZEND_METHOD(Multiverse_MultiWorker, configure);
ZEND_METHOD(Multiverse_MultiWorker, config);
ZEND_METHOD(Multiverse_WorkerException, getWorkerName);
ZEND_METHOD(Multiverse_WorkerException, getDriver);
ZEND_METHOD(Multiverse_WorkerException, getExitCode);
ZEND_METHOD(Multiverse_WorkerException, getSignal);
ZEND_METHOD(Multiverse_WorkerException, getErrorOutput);
ZEND_METHOD(Multiverse_WorkerException, getOutput);
ZEND_METHOD(Multiverse_WorkerException, getRemoteType);
ZEND_METHOD(Multiverse_WorkerException, getRemoteMessage);
ZEND_METHOD(Multiverse_WorkerException, getRemoteTrace);
ZEND_METHOD(Multiverse_WorkerException, getElapsed);
ZEND_METHOD(Multiverse_WorkerException, getErrors);
ZEND_METHOD(Multiverse_TimeoutException, getTimeout);
ZEND_METHOD(Multiverse_TaskException, getOriginalClass);
ZEND_METHOD(Multiverse_TaskException, getOriginalFile);
ZEND_METHOD(Multiverse_TaskException, getOriginalLine);
ZEND_METHOD(Multiverse_TaskException, getOriginalTrace);
ZEND_METHOD(Multiverse_TaskException, getOriginalCode);
ZEND_METHOD(Multiverse_Process, run);
ZEND_METHOD(Multiverse_Process, map);
ZEND_METHOD(Multiverse_Process, filter);
ZEND_METHOD(Multiverse_Process, reduce);
ZEND_METHOD(Multiverse_Process, fork);
ZEND_METHOD(Multiverse_Process, manager);
ZEND_METHOD(Multiverse_Process, pool);
ZEND_METHOD(Multiverse_Process, isSupported);
ZEND_METHOD(Multiverse_Process, getCpuCores);
ZEND_METHOD(Multiverse_ForkProcess, __construct);
ZEND_METHOD(Multiverse_ForkProcess, start);
ZEND_METHOD(Multiverse_ForkProcess, isRunning);
ZEND_METHOD(Multiverse_ForkProcess, wait);
ZEND_METHOD(Multiverse_ForkProcess, getPid);
ZEND_METHOD(Multiverse_ForkProcess, getExitCode);
ZEND_METHOD(Multiverse_ForkProcess, kill);
ZEND_METHOD(Multiverse_ForkProcess, getOutput);
ZEND_METHOD(Multiverse_ProcessManager, add);
ZEND_METHOD(Multiverse_ProcessManager, run);
ZEND_METHOD(Multiverse_ProcessManager, wait);
ZEND_METHOD(Multiverse_ProcessManager, getRunningCount);
ZEND_METHOD(Multiverse_ProcessManager, hasRunning);
ZEND_METHOD(Multiverse_ProcessManager, killAll);
ZEND_METHOD(Multiverse_ProcessPool, __construct);
ZEND_METHOD(Multiverse_ProcessPool, map);
ZEND_METHOD(Multiverse_ProcessPool, filter);
ZEND_METHOD(Multiverse_ProcessPool, reduce);


static const zend_function_entry class_Multiverse_MultiWorker_methods[] = {
	ZEND_ME(Multiverse_MultiWorker, run, arginfo_class_Multiverse_MultiWorker_run, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_MultiWorker, runMany, arginfo_class_Multiverse_MultiWorker_runMany, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_MultiWorker, clear, arginfo_class_Multiverse_MultiWorker_clear, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_MultiWorker, running, arginfo_class_Multiverse_MultiWorker_running, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_MultiWorker, configure, arginfo_class_Multiverse_MultiWorker_configure, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_MultiWorker, config, arginfo_class_Multiverse_MultiWorker_config, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};


static const zend_function_entry class_Multiverse_WorkerException_methods[] = {
	ZEND_ME(Multiverse_WorkerException, getWorkerName, arginfo_class_Multiverse_WorkerException_getWorkerName, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getDriver, arginfo_class_Multiverse_WorkerException_getDriver, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getExitCode, arginfo_class_Multiverse_WorkerException_getExitCode, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getSignal, arginfo_class_Multiverse_WorkerException_getSignal, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getErrorOutput, arginfo_class_Multiverse_WorkerException_getErrorOutput, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getOutput, arginfo_class_Multiverse_WorkerException_getOutput, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getRemoteType, arginfo_class_Multiverse_WorkerException_getRemoteType, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getRemoteMessage, arginfo_class_Multiverse_WorkerException_getRemoteMessage, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getRemoteTrace, arginfo_class_Multiverse_WorkerException_getRemoteTrace, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getElapsed, arginfo_class_Multiverse_WorkerException_getElapsed, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_WorkerException, getErrors, arginfo_class_Multiverse_WorkerException_getErrors, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Multiverse_TimeoutException_methods[] = {
	ZEND_ME(Multiverse_TimeoutException, getTimeout, arginfo_class_Multiverse_TimeoutException_getTimeout, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Multiverse_TaskException_methods[] = {
	ZEND_ME(Multiverse_TaskException, getOriginalClass, arginfo_class_Multiverse_TaskException_getOriginalClass, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_TaskException, getOriginalFile, arginfo_class_Multiverse_TaskException_getOriginalFile, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_TaskException, getOriginalLine, arginfo_class_Multiverse_TaskException_getOriginalLine, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_TaskException, getOriginalTrace, arginfo_class_Multiverse_TaskException_getOriginalTrace, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_TaskException, getOriginalCode, arginfo_class_Multiverse_TaskException_getOriginalCode, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Multiverse_Process_methods[] = {
	ZEND_ME(Multiverse_Process, run, arginfo_class_Multiverse_Process_run, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_Process, map, arginfo_class_Multiverse_Process_map, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_Process, filter, arginfo_class_Multiverse_Process_filter, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_Process, reduce, arginfo_class_Multiverse_Process_reduce, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_Process, fork, arginfo_class_Multiverse_Process_fork, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_Process, manager, arginfo_class_Multiverse_Process_manager, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_Process, pool, arginfo_class_Multiverse_Process_pool, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_Process, isSupported, arginfo_class_Multiverse_Process_isSupported, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Multiverse_Process, getCpuCores, arginfo_class_Multiverse_Process_getCpuCores, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};


static const zend_function_entry class_Multiverse_ForkProcess_methods[] = {
	ZEND_ME(Multiverse_ForkProcess, __construct, arginfo_class_Multiverse_ForkProcess___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ForkProcess, start, arginfo_class_Multiverse_ForkProcess_start, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ForkProcess, isRunning, arginfo_class_Multiverse_ForkProcess_isRunning, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ForkProcess, wait, arginfo_class_Multiverse_ForkProcess_wait, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ForkProcess, getPid, arginfo_class_Multiverse_ForkProcess_getPid, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ForkProcess, getExitCode, arginfo_class_Multiverse_ForkProcess_getExitCode, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ForkProcess, kill, arginfo_class_Multiverse_ForkProcess_kill, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ForkProcess, getOutput, arginfo_class_Multiverse_ForkProcess_getOutput, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Multiverse_ProcessManager_methods[] = {
	ZEND_ME(Multiverse_ProcessManager, add, arginfo_class_Multiverse_ProcessManager_add, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ProcessManager, run, arginfo_class_Multiverse_ProcessManager_run, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ProcessManager, wait, arginfo_class_Multiverse_ProcessManager_wait, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ProcessManager, getRunningCount, arginfo_class_Multiverse_ProcessManager_getRunningCount, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ProcessManager, hasRunning, arginfo_class_Multiverse_ProcessManager_hasRunning, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ProcessManager, killAll, arginfo_class_Multiverse_ProcessManager_killAll, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Multiverse_ProcessPool_methods[] = {
	ZEND_ME(Multiverse_ProcessPool, __construct, arginfo_class_Multiverse_ProcessPool___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ProcessPool, map, arginfo_class_Multiverse_ProcessPool_map, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ProcessPool, filter, arginfo_class_Multiverse_ProcessPool_filter, ZEND_ACC_PUBLIC)
	ZEND_ME(Multiverse_ProcessPool, reduce, arginfo_class_Multiverse_ProcessPool_reduce, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};

static zend_class_entry *register_class_Multiverse_MultiWorker(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Multiverse", "MultiWorker", class_Multiverse_MultiWorker_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	return class_entry;
}

static zend_class_entry *register_class_Multiverse_WorkerException(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Multiverse", "WorkerException", class_Multiverse_WorkerException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);

	zval const_NOT_FOUND_value;
	ZVAL_LONG(&const_NOT_FOUND_value, 1);
	zend_string *const_NOT_FOUND_name = zend_string_init_interned("NOT_FOUND", sizeof("NOT_FOUND") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_NOT_FOUND_name, &const_NOT_FOUND_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_NOT_FOUND_name);

	zval const_INTERPRETER_MISSING_value;
	ZVAL_LONG(&const_INTERPRETER_MISSING_value, 2);
	zend_string *const_INTERPRETER_MISSING_name = zend_string_init_interned("INTERPRETER_MISSING", sizeof("INTERPRETER_MISSING") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_INTERPRETER_MISSING_name, &const_INTERPRETER_MISSING_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_INTERPRETER_MISSING_name);

	zval const_SPAWN_FAILED_value;
	ZVAL_LONG(&const_SPAWN_FAILED_value, 3);
	zend_string *const_SPAWN_FAILED_name = zend_string_init_interned("SPAWN_FAILED", sizeof("SPAWN_FAILED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_SPAWN_FAILED_name, &const_SPAWN_FAILED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_SPAWN_FAILED_name);

	zval const_EXIT_value;
	ZVAL_LONG(&const_EXIT_value, 4);
	zend_string *const_EXIT_name = zend_string_init_interned("EXIT", sizeof("EXIT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_EXIT_name, &const_EXIT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_EXIT_name);

	zval const_SIGNAL_value;
	ZVAL_LONG(&const_SIGNAL_value, 5);
	zend_string *const_SIGNAL_name = zend_string_init_interned("SIGNAL", sizeof("SIGNAL") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_SIGNAL_name, &const_SIGNAL_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_SIGNAL_name);

	zval const_BAD_RESULT_value;
	ZVAL_LONG(&const_BAD_RESULT_value, 6);
	zend_string *const_BAD_RESULT_name = zend_string_init_interned("BAD_RESULT", sizeof("BAD_RESULT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_BAD_RESULT_name, &const_BAD_RESULT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_BAD_RESULT_name);

	zval const_TOO_BIG_value;
	ZVAL_LONG(&const_TOO_BIG_value, 7);
	zend_string *const_TOO_BIG_name = zend_string_init_interned("TOO_BIG", sizeof("TOO_BIG") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_TOO_BIG_name, &const_TOO_BIG_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_TOO_BIG_name);

	zval const_LIMIT_value;
	ZVAL_LONG(&const_LIMIT_value, 8);
	zend_string *const_LIMIT_name = zend_string_init_interned("LIMIT", sizeof("LIMIT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_LIMIT_name, &const_LIMIT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_LIMIT_name);

	zval const_REMOTE_value;
	ZVAL_LONG(&const_REMOTE_value, 9);
	zend_string *const_REMOTE_name = zend_string_init_interned("REMOTE", sizeof("REMOTE") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_REMOTE_name, &const_REMOTE_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_REMOTE_name);

	zval const_CANCELLED_value;
	ZVAL_LONG(&const_CANCELLED_value, 10);
	zend_string *const_CANCELLED_name = zend_string_init_interned("CANCELLED", sizeof("CANCELLED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_CANCELLED_name, &const_CANCELLED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_CANCELLED_name);

	zval const_TIMEOUT_value;
	ZVAL_LONG(&const_TIMEOUT_value, 11);
	zend_string *const_TIMEOUT_name = zend_string_init_interned("TIMEOUT", sizeof("TIMEOUT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_TIMEOUT_name, &const_TIMEOUT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_TIMEOUT_name);

	zval const_DISABLED_value;
	ZVAL_LONG(&const_DISABLED_value, 12);
	zend_string *const_DISABLED_name = zend_string_init_interned("DISABLED", sizeof("DISABLED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_DISABLED_name, &const_DISABLED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_DISABLED_name);

	zval property_workerName_default_value;
	ZVAL_EMPTY_STRING(&property_workerName_default_value);
	zend_string *property_workerName_name = zend_string_init("workerName", sizeof("workerName") - 1, 1);
	zend_declare_typed_property(class_entry, property_workerName_name, &property_workerName_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_workerName_name);

	zval property_driver_default_value;
	ZVAL_EMPTY_STRING(&property_driver_default_value);
	zend_string *property_driver_name = zend_string_init("driver", sizeof("driver") - 1, 1);
	zend_declare_typed_property(class_entry, property_driver_name, &property_driver_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_driver_name);

	zval property_exitCode_default_value;
	ZVAL_NULL(&property_exitCode_default_value);
	zend_string *property_exitCode_name = zend_string_init("exitCode", sizeof("exitCode") - 1, 1);
	zend_declare_typed_property(class_entry, property_exitCode_name, &property_exitCode_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG|MAY_BE_NULL));
	zend_string_release(property_exitCode_name);

	zval property_signal_default_value;
	ZVAL_NULL(&property_signal_default_value);
	zend_string *property_signal_name = zend_string_init("signal", sizeof("signal") - 1, 1);
	zend_declare_typed_property(class_entry, property_signal_name, &property_signal_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG|MAY_BE_NULL));
	zend_string_release(property_signal_name);

	zval property_output_default_value;
	ZVAL_EMPTY_STRING(&property_output_default_value);
	zend_string *property_output_name = zend_string_init("output", sizeof("output") - 1, 1);
	zend_declare_typed_property(class_entry, property_output_name, &property_output_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_output_name);

	zval property_errorOutput_default_value;
	ZVAL_EMPTY_STRING(&property_errorOutput_default_value);
	zend_string *property_errorOutput_name = zend_string_init("errorOutput", sizeof("errorOutput") - 1, 1);
	zend_declare_typed_property(class_entry, property_errorOutput_name, &property_errorOutput_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_errorOutput_name);

	zval property_remoteType_default_value;
	ZVAL_NULL(&property_remoteType_default_value);
	zend_string *property_remoteType_name = zend_string_init("remoteType", sizeof("remoteType") - 1, 1);
	zend_declare_typed_property(class_entry, property_remoteType_name, &property_remoteType_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_remoteType_name);

	zval property_remoteMessage_default_value;
	ZVAL_NULL(&property_remoteMessage_default_value);
	zend_string *property_remoteMessage_name = zend_string_init("remoteMessage", sizeof("remoteMessage") - 1, 1);
	zend_declare_typed_property(class_entry, property_remoteMessage_name, &property_remoteMessage_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_remoteMessage_name);

	zval property_remoteTrace_default_value;
	ZVAL_EMPTY_ARRAY(&property_remoteTrace_default_value);
	zend_string *property_remoteTrace_name = zend_string_init("remoteTrace", sizeof("remoteTrace") - 1, 1);
	zend_declare_typed_property(class_entry, property_remoteTrace_name, &property_remoteTrace_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_remoteTrace_name);

	zval property_elapsed_default_value;
	ZVAL_DOUBLE(&property_elapsed_default_value, 0);
	zend_string *property_elapsed_name = zend_string_init("elapsed", sizeof("elapsed") - 1, 1);
	zend_declare_typed_property(class_entry, property_elapsed_name, &property_elapsed_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_DOUBLE));
	zend_string_release(property_elapsed_name);

	zval property_errors_default_value;
	ZVAL_EMPTY_ARRAY(&property_errors_default_value);
	zend_string *property_errors_name = zend_string_init("errors", sizeof("errors") - 1, 1);
	zend_declare_typed_property(class_entry, property_errors_name, &property_errors_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_errors_name);

	return class_entry;
}

static zend_class_entry *register_class_Multiverse_TimeoutException(zend_class_entry *class_entry_Multiverse_WorkerException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Multiverse", "TimeoutException", class_Multiverse_TimeoutException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Multiverse_WorkerException);

	zval property_timeout_default_value;
	ZVAL_DOUBLE(&property_timeout_default_value, 0);
	zend_string *property_timeout_name = zend_string_init("timeout", sizeof("timeout") - 1, 1);
	zend_declare_typed_property(class_entry, property_timeout_name, &property_timeout_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_DOUBLE));
	zend_string_release(property_timeout_name);

	return class_entry;
}

static zend_class_entry *register_class_Multiverse_TaskException(zend_class_entry *class_entry_Multiverse_WorkerException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Multiverse", "TaskException", class_Multiverse_TaskException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Multiverse_WorkerException);

	zval property_originalClass_default_value;
	ZVAL_EMPTY_STRING(&property_originalClass_default_value);
	zend_string *property_originalClass_name = zend_string_init("originalClass", sizeof("originalClass") - 1, 1);
	zend_declare_typed_property(class_entry, property_originalClass_name, &property_originalClass_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_originalClass_name);

	zval property_originalFile_default_value;
	ZVAL_EMPTY_STRING(&property_originalFile_default_value);
	zend_string *property_originalFile_name = zend_string_init("originalFile", sizeof("originalFile") - 1, 1);
	zend_declare_typed_property(class_entry, property_originalFile_name, &property_originalFile_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_originalFile_name);

	zval property_originalLine_default_value;
	ZVAL_LONG(&property_originalLine_default_value, 0);
	zend_string *property_originalLine_name = zend_string_init("originalLine", sizeof("originalLine") - 1, 1);
	zend_declare_typed_property(class_entry, property_originalLine_name, &property_originalLine_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_originalLine_name);

	zval property_originalTrace_default_value;
	ZVAL_EMPTY_STRING(&property_originalTrace_default_value);
	zend_string *property_originalTrace_name = zend_string_init("originalTrace", sizeof("originalTrace") - 1, 1);
	zend_declare_typed_property(class_entry, property_originalTrace_name, &property_originalTrace_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_originalTrace_name);

	zval property_originalCode_default_value;
	ZVAL_LONG(&property_originalCode_default_value, 0);
	zend_string *property_originalCode_name = zend_string_init("originalCode", sizeof("originalCode") - 1, 1);
	zend_declare_typed_property(class_entry, property_originalCode_name, &property_originalCode_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG|MAY_BE_STRING));
	zend_string_release(property_originalCode_name);

	return class_entry;
}

static zend_class_entry *register_class_Multiverse_Process(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Multiverse", "Process", class_Multiverse_Process_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	return class_entry;
}

static zend_class_entry *register_class_Multiverse_ForkProcess(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Multiverse", "ForkProcess", class_Multiverse_ForkProcess_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	return class_entry;
}

static zend_class_entry *register_class_Multiverse_ProcessManager(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Multiverse", "ProcessManager", class_Multiverse_ProcessManager_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	return class_entry;
}

static zend_class_entry *register_class_Multiverse_ProcessPool(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Multiverse", "ProcessPool", class_Multiverse_ProcessPool_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	return class_entry;
}
