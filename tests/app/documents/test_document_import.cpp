#include "app/documents/document_error.h"
#include "app/documents/document_import.h"
#include "document_test_support.h"

#include <atomic>
#include <chrono>
#include <thread>

namespace flint::documents {
namespace {

using testing::DocumentTest;

// The kind of the DocumentError `import` throws, and its message.
template <typename F>
std::pair<DocumentErrorKind, std::string> failure(F import) {
  try {
    import();
  } catch (const DocumentError& e) {
    return {e.kind(), e.what()};
  }
  ADD_FAILURE() << "no DocumentError";
  return {};
}

TEST_F(DocumentTest, PlainTextMarkdownAndSourceAreKeptAsTheyAre) {
  const std::string md = "# Title\n\n* item with `code`\n";
  const ImportedDocument doc = importDocument(write("notes.md", md));
  EXPECT_EQ(doc.text, md);
  EXPECT_EQ(doc.format, DocumentFormat::Markdown);
  EXPECT_EQ(mimeType(doc.format), "text/markdown");
  EXPECT_EQ(doc.title, "notes.md");
  EXPECT_TRUE(doc.notices.empty());

  const std::string py = "def f(x):\n    return x < 2 and x > 0  # <b>not html</b>\n";
  const ImportedDocument source = importDocument(write("f.py", py));
  EXPECT_EQ(source.text, py);
  EXPECT_EQ(source.format, DocumentFormat::SourceCode);
  EXPECT_EQ(importDocument(write("plain.txt", "hello\n")).format, DocumentFormat::PlainText);
  EXPECT_EQ(importDocument(write("README", "no extension\n")).format, DocumentFormat::PlainText);
}

TEST_F(DocumentTest, HtmlBecomesItsReadableText) {
  const ImportedDocument doc = importDocument(
      write("page.HTML", "<p>Hello &amp; welcome</p><script>x()</script><p>Bye</p>"));
  EXPECT_EQ(doc.format, DocumentFormat::Html);
  EXPECT_EQ(doc.text, "Hello & welcome\n\nBye");
}

TEST_F(DocumentTest, PdfTextLayerIsReadPageByPage) {
  const ImportedDocument doc = importDocument(data("text.pdf"));
  EXPECT_EQ(doc.format, DocumentFormat::Pdf);
  EXPECT_EQ(doc.pages, 2);
  EXPECT_NE(doc.text.find("Flint reads the text layer of a PDF."), std::string::npos) << doc.text;
  EXPECT_NE(doc.text.find("\n\nThe second page says the code word is heron."), std::string::npos)
      << doc.text;
}

TEST_F(DocumentTest, FingerprintIsTheFilesSha256SizeAndTime) {
  const auto file = write("a.txt", "abc");
  const ImportedDocument doc = importDocument(file);
  EXPECT_EQ(doc.fingerprint.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(doc.fingerprint.byteSize, 3u);
  EXPECT_EQ(doc.fingerprint.modifiedNs, modifiedNs(file));
  EXPECT_NE(doc.fingerprint.modifiedNs, 0);
}

// Refused from its size alone: no byte is read, so no progress is ever reported.
TEST_F(DocumentTest, AFileOverTheLimitIsRefusedBeforeReading) {
  const auto file = dir_ / "huge.txt";
  std::ofstream(file).close();
  std::filesystem::resize_file(file, 500ull << 20);  // sparse: no disk used
  ImportOptions options;
  int reports = 0;
  options.progress.onProgress = [&](double) { ++reports; };
  const auto [kind, message] = failure([&] { importDocument(file, options); });
  EXPECT_EQ(kind, DocumentErrorKind::TooLarge);
  EXPECT_EQ(message,
            "“huge.txt” is 500 MiB; Flint imports documents up to 64 MiB. Split it into "
            "smaller files to attach it.");
  EXPECT_EQ(reports, 0);
}

TEST_F(DocumentTest, BinaryFilesNamedAsTextAreRefused) {
  std::string elf =
      "\x7F"
      "ELF\x02\x01\x01";
  elf += std::string(64, '\0') + "payload";
  const auto [kind, message] = failure([&] { importDocument(write("notes.txt", elf)); });
  EXPECT_EQ(kind, DocumentErrorKind::Binary);
  EXPECT_NE(
      message.find("“notes.txt” does not hold text: it holds NUL bytes (the first at byte 7)"),
      std::string::npos)
      << message;

  std::string controls;
  for (int i = 0; i < 400; ++i) controls += std::string("ab\x01\x02\x03", 5);
  EXPECT_EQ(failure([&] { importDocument(write("c.txt", controls)); }).first,
            DocumentErrorKind::Binary);
}

TEST_F(DocumentTest, OtherEncodingsAreRefusedWithTheReason) {
  const auto [kind, message] =
      failure([&] { importDocument(write("u16.txt", std::string("\xFF\xFEh\0i\0", 6))); });
  EXPECT_EQ(kind, DocumentErrorKind::NotUtf8);
  EXPECT_NE(message.find("UTF-16"), std::string::npos) << message;
  std::string latin1;
  for (int i = 0; i < 100; ++i) latin1 += "\xE9\xE8 ";
  EXPECT_EQ(failure([&] { importDocument(write("l1.txt", latin1)); }).first,
            DocumentErrorKind::NotUtf8);
}

// A few bad bytes are repaired with U+FFFD, and the import says how many and where.
TEST_F(DocumentTest, StrayInvalidUtf8IsRepairedAndReported) {
  const ImportedDocument doc =
      importDocument(write("cafe.txt",
                           "\xEF\xBB\xBF"
                           "caf\xE9 au lait, na\xEFve, ok \xC3\xA9t\xC3\xA9"));
  EXPECT_EQ(doc.text, "caf\xEF\xBF\xBD au lait, na\xEF\xBF\xBDve, ok été");
  ASSERT_EQ(doc.notices.size(), 1u);
  EXPECT_EQ(doc.notices[0],
            "“cafe.txt” had 2 byte(s) that are not UTF-8 (the first at byte 6); "
            "each was replaced with the character U+FFFD.");
}

TEST_F(DocumentTest, EncryptedImageOnlyAndDamagedPdfsEachSaySo) {
  auto [kind, message] = failure([&] { importDocument(data("encrypted.pdf")); });
  EXPECT_EQ(kind, DocumentErrorKind::Encrypted);
  EXPECT_NE(message.find("“encrypted.pdf” is an encrypted PDF that needs a password"),
            std::string::npos)
      << message;
  std::tie(kind, message) = failure([&] { importDocument(data("image_only.pdf")); });
  EXPECT_EQ(kind, DocumentErrorKind::NoTextLayer);
  EXPECT_NE(message.find("“image_only.pdf” has no text layer"), std::string::npos) << message;
  std::tie(kind, message) =
      failure([&] { importDocument(write("broken.pdf", "%PDF-1.4\nthis is no pdf at all\n")); });
  EXPECT_EQ(kind, DocumentErrorKind::Damaged);
  EXPECT_NE(message.find("damaged or not a PDF"), std::string::npos) << message;
}

TEST_F(DocumentTest, MissingEmptyAndFolderPathsAreRefused) {
  EXPECT_EQ(failure([&] { importDocument(dir_ / "nope.txt"); }).first, DocumentErrorKind::NotFound);
  EXPECT_EQ(failure([&] { importDocument(dir_); }).first, DocumentErrorKind::NotFound);
  EXPECT_EQ(failure([&] { importDocument(write("empty.txt", "  \n\n")); }).first,
            DocumentErrorKind::Empty);
  EXPECT_EQ(
      failure([&] { importDocument(write("tags.html", "<p> </p><script>x</script>")); }).first,
      DocumentErrorKind::Empty);
}

TEST_F(DocumentTest, ADocumentChangedOnDiskAfterImportIsDetected) {
  const auto file = write("live.txt", "version one\n");
  const ImportedDocument doc = importDocument(file);
  EXPECT_EQ(checkStaleness(file, doc.fingerprint), Staleness::Unchanged);
  EXPECT_NO_THROW(checkUnchanged(file, doc.fingerprint, doc.title));

  // Touched with the same bytes: a new time, the same hash, so still unchanged.
  std::filesystem::last_write_time(
      file, std::filesystem::last_write_time(file) + std::chrono::seconds(5));
  EXPECT_EQ(checkStaleness(file, doc.fingerprint), Staleness::Unchanged);

  write("live.txt", "version two\n");  // same size, other bytes
  EXPECT_EQ(checkStaleness(file, doc.fingerprint), Staleness::Changed);
  const auto [kind, message] = failure([&] { checkUnchanged(file, doc.fingerprint, doc.title); });
  EXPECT_EQ(kind, DocumentErrorKind::Changed);
  EXPECT_EQ(message,
            "“live.txt” changed on disk after it was imported; the answer would use the "
            "old text, so import it again to read the new one.");

  std::filesystem::remove(file);
  EXPECT_EQ(checkStaleness(file, doc.fingerprint), Staleness::Missing);
  EXPECT_EQ(failure([&] { checkUnchanged(file, doc.fingerprint, doc.title); }).first,
            DocumentErrorKind::NotFound);
}

TEST_F(DocumentTest, ProgressRisesToOneAndCancelStops) {
  const auto file = write("long.txt", std::string(3 << 20, 'a') + "\n");
  ImportOptions options;
  std::vector<double> seen;
  options.progress.onProgress = [&](double f) { seen.push_back(f); };
  importDocument(file, options);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);

  std::atomic<bool> cancel{true};
  options.progress.cancel = &cancel;
  const auto [kind, message] = failure([&] { importDocument(file, options); });
  EXPECT_EQ(kind, DocumentErrorKind::Cancelled);
  EXPECT_EQ(message, "The work was cancelled.");
}

}  // namespace
}  // namespace flint::documents
