// The zproto binary links mimalloc so that it replaces malloc/free/new process-wide. This
// test is linked the same way and checks that the malloc actually called is mimalloc's.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace {

// Sanitizers interpose malloc themselves: CMake builds this test only without them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#error "mimalloc_test is meaningful only in a build without sanitizers"
#endif

TEST(Mimalloc, MallocIsMimalloc) {
  void* p = std::malloc(16);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(mi_is_in_heap_region(p)) << "malloc(16) did not come from mimalloc";
  std::free(p);

  auto obj = std::make_unique<std::string>(100, 'x');  // operator new too
  EXPECT_TRUE(mi_is_in_heap_region(obj.get()));
  EXPECT_TRUE(mi_is_in_heap_region(obj->data()));
}

TEST(Mimalloc, MallocSymbolResolvesToLibmimalloc) {
  void* sym = dlsym(RTLD_DEFAULT, "malloc");
  ASSERT_NE(sym, nullptr);
  Dl_info info{};
  ASSERT_NE(dladdr(sym, &info), 0);
  ASSERT_NE(info.dli_fname, nullptr);
  EXPECT_NE(std::string(info.dli_fname).find("mimalloc"), std::string::npos)
      << "malloc resolves to " << info.dli_fname;
}

}  // namespace
