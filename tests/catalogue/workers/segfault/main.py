# Dies of SIGSEGV (a real invalid read, not a kill from outside).
import ctypes

ctypes.string_at(0)
