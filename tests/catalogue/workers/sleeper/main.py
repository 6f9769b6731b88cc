# Runs until killed: a real entry in the registry for the registry cases.
import time

time.sleep(300)
