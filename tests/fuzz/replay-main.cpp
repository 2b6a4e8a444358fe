// A fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput once on each
// file named on the command line, or on each file of a named directory. A
// build whose compiler has no libFuzzer (gcc) still runs the seed corpus, and
// the inputs of the bugs found, as a regression test; a broken invariant
// aborts as it does under libFuzzer.
#include <glib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

// The files to run, in name order so that runs repeat exactly.
std::vector<std::string> inputs_of(const char *path) {
  if (!g_file_test(path, G_FILE_TEST_IS_DIR))
    return {path};
  std::vector<std::string> files;
  g_autoptr(GDir) dir = g_dir_open(path, 0, nullptr);
  while (const char *name = dir ? g_dir_read_name(dir) : nullptr) {
    g_autofree gchar *file = g_build_filename(path, name, nullptr);
    if (g_file_test(file, G_FILE_TEST_IS_REGULAR))
      files.emplace_back(file);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char **argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; i++) {
    for (const std::string &file : inputs_of(argv[i])) {
      gchar *contents = nullptr;
      gsize length = 0;
      g_autoptr(GError) error = nullptr;
      if (!g_file_get_contents(file.c_str(), &contents, &length, &error)) {
        std::fprintf(stderr, "cannot read %s: %s\n", file.c_str(), error->message);
        return 1;
      }
      // A copy of exactly the input's size, so that ASan sees any read past it.
      std::vector<uint8_t> input(contents, contents + length);
      g_free(contents);
      std::fprintf(stderr, "replaying %s\n", file.c_str());
      LLVMFuzzerTestOneInput(input.data(), input.size());
      replayed++;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return replayed > 0 ? 0 : 1;
}
