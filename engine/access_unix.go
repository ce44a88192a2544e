//go:build unix

package engine

import "syscall"

// canWrite reports whether this process may write path (a file, or create
// files in a directory), as the kernel would decide.
func canWrite(path string, dir bool) error {
	mode := uint32(2) // W_OK
	if dir {
		mode |= 1 // X_OK
	}
	return syscall.Access(path, mode)
}
