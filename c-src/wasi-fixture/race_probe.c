/*
 * wasi-race: sandboxed C that keeps using paths another thread is changing under it
 * (test/wasi-race.test.ts). It expects the grant as "/data" holding "dir" and "link", each
 * naming (at any moment) a directory with "secret.txt" = "inside" and "target.txt", an outward
 * symlink, or nothing. Any operation may fail; what succeeds is counted, and every read that did
 * not return "inside" is handed back, so the test sees everything the C code saw.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cbox.h"

#define ODD_CAPACITY 4096

static char odd[ODD_CAPACITY];
static size_t odd_length;
static unsigned reads, writes, creates, refusals;

static void note_odd(const char *data, size_t length) {
  if (odd_length + length + 1 > ODD_CAPACITY) return;
  memcpy(odd + odd_length, data, length);
  odd_length += length;
  odd[odd_length++] = '\n';
}

static void read_expecting_inside(int fd) {
  char buffer[128];
  ssize_t got = read(fd, buffer, sizeof buffer);
  close(fd);
  if (got < 0) { refusals++; return; }
  reads++;
  if (got != 6 || memcmp(buffer, "inside", 6) != 0) note_odd(buffer, (size_t)got);
}

static void try_read(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { refusals++; return; }
  read_expecting_inside(fd);
}

/* openat relative to a directory fd that stays open while the directory is swapped. */
static void try_read_at(const char *directory, const char *name) {
  int dir = open(directory, O_RDONLY | O_DIRECTORY);
  if (dir < 0) { refusals++; return; }
  int fd = openat(dir, name, O_RDONLY);
  close(dir);
  if (fd < 0) { refusals++; return; }
  read_expecting_inside(fd);
}

static void try_write(const char *path, int flags, unsigned *counter) {
  int fd = open(path, O_WRONLY | flags, 0644);
  if (fd < 0) { refusals++; return; }
  if (write(fd, "guest", 5) == 5) (*counter)++;
  close(fd);
}

static void try_create(const char *directory, int round) {
  char path[64];
  snprintf(path, sizeof path, "%s/created-%d.txt", directory, round % 8);
  try_write(path, O_CREAT | O_TRUNC, &creates);
  snprintf(path, sizeof path, "%s/made-%d", directory, round % 8);
  if (mkdir(path, 0755) == 0) creates++; else refusals++;
}

/* Touches the file's times: must never reach a file outside the grant. */
static void try_touch(const char *path) {
  if (utimes(path, NULL) == 0) writes++; else refusals++;
}

/* Runs `rounds` rounds; returns "reads writes creates refusals\n" then every odd read. */
void race_attack(int rounds, cbox_out *out) {
  reads = writes = creates = refusals = 0;
  odd_length = 0;
  for (int round = 0; round < rounds; round++) {
    try_read("/data/dir/secret.txt");
    try_read("/data/link/secret.txt");
    try_read("/data/dir/../link/secret.txt");
    try_read_at("/data/dir", "secret.txt");
    try_read_at("/data/link", "secret.txt");
    try_write("/data/dir/target.txt", O_TRUNC, &writes);
    try_write("/data/link/target.txt", O_TRUNC, &writes);
    try_touch("/data/dir/target.txt");
    try_touch("/data/link/secret.txt");
    try_create("/data/dir", round);
    try_create("/data/link", round);
  }
  char header[64];
  int length = snprintf(header, sizeof header, "%u %u %u %u\n", reads, writes, creates, refusals);
  uint8_t *text = cbox_return_alloc(out, (size_t)length + odd_length);
  if (!text) return;
  memcpy(text, header, (size_t)length);
  memcpy(text + length, odd, odd_length);
}
