# Sends back its payload through the SDK (result channel).
from multiverse import worker

worker.respond({"echo": worker.payload()})
