// Exercises cbox's WASI host through ordinary wasi-libc calls (stdio, getenv, files,
// directories) plus a few raw preview1 calls where libc would refuse before asking the host.
// Each export returns 0 when everything behaved, or the number of the first check that failed.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define CHECK(number, condition) do { if (!(condition)) return (number); } while (0)

int say_hello(void) {
  printf("hello from C %d\n", 42);
  fprintf(stderr, "warning: %s\n", "careful");
  printf("multi\nline ");
  printf("output\n");
  printf("unterminated tail");
  fflush(stdout);
  return 0;
}

// 1 when CBOX_GREETING is "hi", 0 when unset, -1 otherwise.
int greeting_state(void) {
  const char *greeting = getenv("CBOX_GREETING");
  if (greeting == NULL) return 0;
  printf("greeting=%s\n", greeting);
  return strcmp(greeting, "hi") == 0 ? 1 : -1;
}

static int write_text(const char *path, const char *mode, const char *text) {
  FILE *file = fopen(path, mode);
  if (file == NULL) return -1;
  size_t length = strlen(text);
  size_t written = fwrite(text, 1, length, file);
  return fclose(file) == 0 && written == length ? 0 : -1;
}

static long read_text(const char *path, char *buffer, size_t size) {
  FILE *file = fopen(path, "r");
  if (file == NULL) return -1;
  size_t got = fread(buffer, 1, size - 1, file);
  buffer[got] = '\0';
  fclose(file);
  return (long)got;
}

int file_round_trip(void) {
  char buffer[128];
  CHECK(1, write_text("/data/note.txt", "w", "hello file\n") == 0);
  CHECK(2, write_text("/data/note.txt", "a", "second line\n") == 0);
  CHECK(3, read_text("/data/note.txt", buffer, sizeof buffer) == 23);
  CHECK(4, strcmp(buffer, "hello file\nsecond line\n") == 0);

  struct stat info;
  CHECK(5, stat("/data/note.txt", &info) == 0 && S_ISREG(info.st_mode) && info.st_size == 23);
  CHECK(6, mkdir("/data/sub", 0755) == 0);
  CHECK(7, stat("/data/sub", &info) == 0 && S_ISDIR(info.st_mode));
  CHECK(8, write_text("/data/sub/inner.txt", "w", "inner") == 0);

  DIR *directory = opendir("/data");
  CHECK(9, directory != NULL);
  int seen = 0;
  for (struct dirent *entry; (entry = readdir(directory)) != NULL;) {
    if (strcmp(entry->d_name, "note.txt") == 0 && entry->d_type == DT_REG) seen |= 1;
    if (strcmp(entry->d_name, "sub") == 0 && entry->d_type == DT_DIR) seen |= 2;
    if (strcmp(entry->d_name, ".") == 0) seen |= 4;
  }
  closedir(directory);
  CHECK(10, seen == 7);

  CHECK(11, rename("/data/sub/inner.txt", "/data/moved.txt") == 0);
  CHECK(12, access("/data/moved.txt", F_OK) == 0 && access("/data/sub/inner.txt", F_OK) != 0 && errno == ENOENT);
  CHECK(13, rmdir("/data/sub") == 0);
  CHECK(14, unlink("/data/moved.txt") == 0);
  CHECK(15, unlink("/data/moved.txt") != 0 && errno == ENOENT);
  CHECK(16, open("/data/note.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST);
  CHECK(17, write_text("/data/kept.txt", "w", "written by C") == 0);
  return 0;
}

// SQLite's unix VFS pattern: positioned I/O, fstat, ftruncate, fsync, access, unlink.
int sqlite_like_io(void) {
  int fd = open("/data/db.bin", O_RDWR | O_CREAT, 0644);
  CHECK(1, fd >= 0);
  const char page[] = "PAGE-ONE";
  CHECK(2, pwrite(fd, page, 8, 4096) == 8);
  char back[9] = {0};
  CHECK(3, pread(fd, back, 8, 4096) == 8 && memcmp(back, page, 8) == 0);
  struct stat info;
  CHECK(4, fstat(fd, &info) == 0 && info.st_size == 4104);
  CHECK(5, pread(fd, back, 8, 0) == 8 && back[0] == 0);
  CHECK(6, ftruncate(fd, 100) == 0 && fstat(fd, &info) == 0 && info.st_size == 100);
  CHECK(7, fsync(fd) == 0 && fdatasync(fd) == 0);
  CHECK(8, lseek(fd, 0, SEEK_END) == 100);
  CHECK(9, write(fd, "tail", 4) == 4 && lseek(fd, 0, SEEK_CUR) == 104);
  CHECK(10, close(fd) == 0);
  int directory = open("/data", O_RDONLY);
  CHECK(11, directory >= 0 && fsync(directory) == 0 && close(directory) == 0);
  CHECK(12, access("/data/db.bin", R_OK | W_OK) == 0);
  CHECK(13, unlink("/data/db.bin") == 0);
  return 0;
}

int read_only_refusals(void) {
  char buffer[64];
  CHECK(1, read_text("/ro/input.txt", buffer, sizeof buffer) == 5 && strcmp(buffer, "input") == 0);
  CHECK(2, fopen("/ro/new.txt", "w") == NULL && errno == EROFS);
  CHECK(3, fopen("/ro/input.txt", "a") == NULL && errno == EROFS);
  CHECK(4, fopen("/ro/input.txt", "r+") == NULL && errno == EROFS);
  CHECK(5, unlink("/ro/input.txt") != 0 && errno == EROFS);
  CHECK(6, mkdir("/ro/dir", 0755) != 0 && errno == EROFS);
  CHECK(7, rename("/ro/input.txt", "/ro/renamed.txt") != 0 && errno == EROFS);
  CHECK(8, rename("/ro/input.txt", "/data/stolen.txt") != 0 && errno == EROFS);
  CHECK(9, read_text("/ro/input.txt", buffer, sizeof buffer) == 5);
  return 0;
}

// path_open relative to fd 3 straight to the host, without libc's own path checks.
static __wasi_errno_t raw_open(const char *path) {
  __wasi_fd_t fd;
  __wasi_errno_t error = __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
  if (error == __WASI_ERRNO_SUCCESS) close(fd);
  return error;
}

// Expects preopen fd 3 = "/data", containing "outside-link" (a symlink to a host file
// outside it), "inside-link" (a symlink to "sub/../inside.txt"), "inside.txt" and a directory "sub".
int escape_attempts(void) {
  CHECK(1, fopen("/etc/passwd", "r") == NULL);
  CHECK(2, fopen("../escape", "r") == NULL);
  CHECK(3, fopen("/data/../escape", "r") == NULL);
  CHECK(4, raw_open("../escape") == __WASI_ERRNO_NOTCAPABLE);
  CHECK(5, raw_open("/etc/passwd") == __WASI_ERRNO_NOTCAPABLE);
  CHECK(6, raw_open("sub/../../escape") == __WASI_ERRNO_NOTCAPABLE);
  CHECK(7, raw_open("outside-link") == __WASI_ERRNO_NOTCAPABLE);
  CHECK(8, fopen("/data/outside-link", "r") == NULL && errno == ENOTCAPABLE);
  CHECK(9, raw_open("sub/../inside.txt") == __WASI_ERRNO_SUCCESS);
  CHECK(10, raw_open("inside-link") == __WASI_ERRNO_SUCCESS);
  CHECK(11, symlink("/etc/passwd", "/data/new-link") != 0 && errno == ENOTCAPABLE);
  return 0;
}

int exit_with_three(void) {
  printf("about to exit\n");
  exit(3);
}

// Opens a file and leaves it open; returns the fd (negative on failure).
int leave_file_open(void) {
  return open("/data/held.txt", O_RDWR | O_CREAT, 0644);
}

// The errno fstat gives for `fd` (0 when it is open).
int fd_status(int fd) {
  struct stat info;
  return fstat(fd, &info) == 0 ? 0 : errno;
}

// Nonzero when time and randomness are available to the guest.
int clock_and_random(void) {
  struct timespec now;
  int has_clock = clock_gettime(CLOCK_REALTIME, &now) == 0 && now.tv_sec > 1600000000;
  unsigned char bytes[16] = {0};
  int has_random = getentropy(bytes, sizeof bytes) == 0;
  return has_clock | (has_random << 1);
}

// Entries readdir() reports for /data, "." and ".." included (-1 when it cannot be opened).
int count_entries(void) {
  DIR *directory = opendir("/data");
  if (directory == NULL) return -1;
  int count = 0;
  while (readdir(directory) != NULL) count++;
  closedir(directory);
  return count;
}

// usleep goes through poll_oneoff with a clock subscription.
int sleep_ms(int milliseconds) {
  return usleep((useconds_t)milliseconds * 1000);
}

// Expects /data holding "a/up" (a symlink to ".."), "a/file.txt", "a/inside-link" (to
// "file.txt") and "a/out" (to "../../outside", which leaves the grant). No call may leave a
// symlink behind that points anywhere else than where the host's own links point.
int outward_symlink_attempts(void) {
  CHECK(1, link("/data/a/up", "/data/up") != 0 && errno == ENOTCAPABLE);
  CHECK(2, link("/data/a/up", "/data/a/up-again") != 0 && errno == ENOTCAPABLE);
  CHECK(3, rename("/data/a/up", "/data/up") != 0 && errno == ENOTCAPABLE);
  CHECK(4, rename("/data/a/up", "/data/a/up-renamed") == 0 && rename("/data/a/up-renamed", "/data/a/up") == 0);
  CHECK(5, linkat(AT_FDCWD, "/data/a/inside-link", AT_FDCWD, "/data/hard.txt", AT_SYMLINK_FOLLOW) == 0);
  CHECK(6, linkat(AT_FDCWD, "/data/a/out", AT_FDCWD, "/data/hard-out", AT_SYMLINK_FOLLOW) != 0 && errno == ENOTCAPABLE);
  CHECK(7, link("/data/a/file.txt", "/data/plain-link.txt") == 0);
  CHECK(8, rename("/data/a/file.txt", "/data/moved.txt") == 0);
  CHECK(9, symlink("..", "/data/a/new-up") != 0 && errno == ENOTCAPABLE);
  return 0;
}

int open_held_directory(void) {
  return open("/data/held", O_RDONLY | O_DIRECTORY);
}

// The first byte of "file.txt" in directory fd `directory`, or -errno.
int first_byte_at(int directory) {
  int fd = openat(directory, "file.txt", O_RDONLY);
  if (fd < 0) return -errno;
  unsigned char byte = 0;
  ssize_t got = read(fd, &byte, 1);
  close(fd);
  return got == 1 ? byte : -EIO;
}
