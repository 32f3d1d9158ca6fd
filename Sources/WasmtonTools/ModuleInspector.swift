// Placeholder: the inspect tool is being written.
