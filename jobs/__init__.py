"""Background work: the queue, the task functions and the periodic schedule."""
