"""Infrastructure shared by every room: errors, file I/O, parameter validation, devices, progress."""
