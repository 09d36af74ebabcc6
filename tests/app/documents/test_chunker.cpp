#include "app/documents/chunker.h"
#include "app/documents/document_error.h"
#include "app/documents/text_sniff.h"
#include "app/store/utf8.h"
#include "document_test_support.h"

namespace flint::documents {
namespace {

using testing::DocumentTest;

std::string paragraph(int n) {
  std::string p;
  for (int s = 0; s < 3; ++s)
    p += "Paragraph " + std::to_string(n) + " sentence " + std::to_string(s) + " says little. ";
  p.pop_back();
  return p;
}

// Every chunk is the text at its offset, counted exactly, within the target.
void expectWellFormed(std::string_view text, const std::vector<store::Chunk>& chunks,
                      std::size_t target, const engine::Tokenizer& tok) {
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const store::Chunk& c = chunks[i];
    EXPECT_EQ(c.ordinal, int(i));
    EXPECT_EQ(text.substr(std::size_t(c.byteOffset), c.text.size()), c.text) << i;
    EXPECT_EQ(std::size_t(c.tokenCount), countTokens(tok, c.text)) << i;
    EXPECT_LE(std::size_t(c.tokenCount), target) << c.text;
    if (i > 0) {
      EXPECT_GT(c.byteOffset, chunks[i - 1].byteOffset);
    }
  }
}

TEST_F(DocumentTest, ChunksEndOnParagraphBoundaries) {
  std::string text;
  for (int n = 0; n < 9; ++n) text += paragraph(n) + "\n\n";
  const std::size_t perParagraph = countTokens(tokenizer(), paragraph(0));
  ChunkOptions options;
  options.targetTokens = perParagraph * 3 + 4;  // three paragraphs and their breaks
  const auto chunks = chunkText(text, tokenizer(), options);
  expectWellFormed(text, chunks, options.targetTokens, tokenizer());
  ASSERT_EQ(chunks.size(), 3u);
  for (const auto& c : chunks) {
    EXPECT_EQ(c.text.rfind("Paragraph ", 0), 0u) << c.text;  // starts a paragraph
    EXPECT_EQ(c.text.back(), '.');                           // ends one
  }
  EXPECT_EQ(chunks[1].text, paragraph(3) + "\n\n" + paragraph(4) + "\n\n" + paragraph(5));
}

TEST_F(DocumentTest, ALongParagraphIsCutBetweenSentences) {
  std::string text;
  for (int s = 0; s < 40; ++s) text += "Sentence number " + std::to_string(s) + " is here. ";
  ChunkOptions options;
  options.targetTokens = 40;
  const auto chunks = chunkText(text, tokenizer(), options);
  expectWellFormed(text, chunks, options.targetTokens, tokenizer());
  ASSERT_GT(chunks.size(), 3u);
  for (const auto& c : chunks) {
    EXPECT_EQ(c.text.rfind("Sentence number ", 0), 0u) << c.text;
    EXPECT_EQ(c.text.back(), '.') << c.text;
  }
}

TEST_F(DocumentTest, TextWithoutSpacesIsCutAtCharacterBoundaries) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "é";  // two bytes each, no space anywhere
  ChunkOptions options;
  options.targetTokens = 25;
  const auto chunks = chunkText(text, tokenizer(), options);
  expectWellFormed(text, chunks, options.targetTokens, tokenizer());
  std::string joined;
  for (const auto& c : chunks) {
    joined += c.text;
    EXPECT_EQ(store::utf8SequenceLength(c.text, 0), 2u);  // starts on a character
    EXPECT_EQ(c.text.size() % 2, 0u);
  }
  EXPECT_EQ(joined, text);
}

TEST_F(DocumentTest, ChunkingCanBeCancelled) {
  std::atomic<bool> cancel{true};
  ImportProgress progress;
  progress.cancel = &cancel;
  EXPECT_THROW(chunkText(paragraph(1), tokenizer(), {}, progress), DocumentError);
}

}  // namespace
}  // namespace flint::documents
