// The header parser on hand-made files: what it accepts, and one clear error for each way a
// header can be wrong.
#include "engine/model/model_error.h"
#include "engine/model/safetensors_header.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flint::engine {
namespace {

// A safetensors file: 8-byte length, `header` padded to 8, then `dataBytes` zero bytes.
std::vector<std::byte> makeFile(const std::string& header, std::size_t dataBytes) {
  std::string text = header;
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<std::byte> file(8 + text.size() + dataBytes, std::byte{0});
  for (int i = 0; i < 8; ++i) file[std::size_t(i)] = std::byte((text.size() >> (8 * i)) & 0xFF);
  for (std::size_t i = 0; i < text.size(); ++i) file[8 + i] = std::byte(text[i]);
  return file;
}

// The parse error's message, or "" when the file parses.
std::string parseError(const std::vector<std::byte>& file) {
  try {
    parseSafetensors(file);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

std::string fileWith(const std::string& tensors, std::size_t dataBytes) {
  return parseError(makeFile("{\"__metadata__\":{\"format\":\"pt\"}," + tensors + "}", dataBytes));
}

TEST(SafetensorsHeader, ParsesEveryDtypeWithShapesAndOffsets) {
  const auto file = makeFile(R"({"__metadata__":{"format":"pt"},)"
                             R"("w":{"dtype":"F8_E4M3","shape":[2,3],"data_offsets":[0,6]},)"
                             R"("s":{"dtype":"F8_E8M0","shape":[1,1],"data_offsets":[6,7]},)"
                             R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},)"
                             R"("h":{"dtype":"F16","shape":[1],"data_offsets":[12,14]},)"
                             R"("f":{"dtype":"F32","shape":[],"data_offsets":[16,20]},)"
                             R"("q":{"dtype":"I8","shape":[4,2],"data_offsets":[20,28]},)"
                             R"("i":{"dtype":"I32","shape":[1],"data_offsets":[28,32]},)"
                             R"("t":{"dtype":"I64","shape":[1,1],"data_offsets":[32,40]},)"
                             R"("empty":{"dtype":"F32","shape":[0,5],"data_offsets":[40,40]}})",
                             40);
  const SafetensorsHeader header = parseSafetensors(file);
  ASSERT_EQ(header.tensors.size(), 9u);
  EXPECT_EQ(header.tensors[0].name, "b");  // sorted by name
  const TensorEntry& w = header.tensors.back();
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.dtype, DType::F8_E4M3);
  EXPECT_EQ(w.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(w.begin, 0u);
  EXPECT_EQ(w.end, 6u);
  EXPECT_EQ(header.tensors[2].name, "f");
  EXPECT_TRUE(header.tensors[2].shape.empty());  // a scalar
  EXPECT_EQ(header.dataStart, file.size() - 40);
}

TEST(SafetensorsHeader, FileShorterThanTheLengthField) {
  const std::vector<std::byte> file(5, std::byte{1});
  EXPECT_NE(parseError(file).find("too short for the 8-byte header length"), std::string::npos)
      << parseError(file);
  EXPECT_NE(parseError({}).find("0 bytes"), std::string::npos);
}

TEST(SafetensorsHeader, HeaderLengthPastTheEndOfTheFile) {
  auto file = makeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4);
  file[0] = std::byte{0xFF};
  file[1] = std::byte{0xFF};
  const std::string error = parseError(file);
  EXPECT_NE(error.find("header length 65535 runs past the end"), std::string::npos) << error;
  file[7] = std::byte{0xFF};  // 2^63 and more: no overflow in the check
  EXPECT_NE(parseError(file).find("runs past the end"), std::string::npos);
}

TEST(SafetensorsHeader, InvalidJson) {
  const std::string error = parseError(makeFile(R"({"a":{"dtype":)", 0));
  EXPECT_NE(error.find("the header is not valid JSON"), std::string::npos) << error;
  EXPECT_NE(parseError(makeFile("[1, 2]", 0)).find("must be a JSON object"), std::string::npos);
}

TEST(SafetensorsHeader, UnknownDtype) {
  const std::string error =
      fileWith(R"("x":{"dtype":"F8_E5M2","shape":[4],"data_offsets":[0,4]})", 4);
  EXPECT_NE(error.find("tensor 'x': unsupported dtype \"F8_E5M2\""), std::string::npos) << error;
}

TEST(SafetensorsHeader, MissingAndUnknownFields) {
  EXPECT_NE(fileWith(R"("x":{"dtype":"F32","shape":[1]})", 4).find("missing field 'data_offsets'"),
            std::string::npos);
  EXPECT_NE(fileWith(R"("x":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"y":1})", 4)
                .find("unknown field 'y'"),
            std::string::npos);
  EXPECT_NE(fileWith(R"("x":[1])", 4).find("entry must be an object"), std::string::npos);
  EXPECT_EQ(fileWith(R"("x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})", 4), "");
}

TEST(SafetensorsHeader, BadShapes) {
  EXPECT_NE(fileWith(R"("x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]})", 4)
                .find("shape entry must be a non-negative integer"),
            std::string::npos);
  EXPECT_NE(fileWith(R"("x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})", 4)
                .find("non-negative integer"),
            std::string::npos);
  EXPECT_NE(
      fileWith(R"("x":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]})", 4)
          .find("too large"),
      std::string::npos);
}

TEST(SafetensorsHeader, DataOffsetsOutOfRange) {
  const std::string error = fileWith(R"("x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", 4);
  EXPECT_NE(error.find("tensor 'x': data_offsets [0, 8] run past the end of the data (4 bytes)"),
            std::string::npos)
      << error;
  EXPECT_NE(fileWith(R"("x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]})", 4)
                .find("end before they begin"),
            std::string::npos);
  EXPECT_NE(
      fileWith(R"("x":{"dtype":"F32","shape":[1],"data_offsets":[0]})", 4).find("[begin, end]"),
      std::string::npos);
}

TEST(SafetensorsHeader, DataOffsetsNotMatchingShapeTimesDtype) {
  const std::string error = fileWith(R"("x":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]})", 8);
  EXPECT_NE(error.find("hold 8 bytes but BF16 [3] needs 3 x 2"), std::string::npos) << error;
}

TEST(SafetensorsHeader, OverlappingDataOffsets) {
  const std::string error = fileWith(R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]})",
                                     12);
  EXPECT_NE(error.find("tensors 'a' [0, 8] and 'b' [4, 12] overlap"), std::string::npos) << error;
  // An empty tensor sorted between two overlapping ones does not hide the overlap.
  const std::string hidden = fileWith(R"("a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                      R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                                      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]})",
                                      16);
  EXPECT_NE(hidden.find("'a' [0, 16] and 'b' [8, 12] overlap"), std::string::npos) << hidden;
}

TEST(SafetensorsHeader, MetadataMustHoldStrings) {
  EXPECT_NE(parseError(makeFile(R"({"__metadata__":{"format":1}})", 0)).find("must be a string"),
            std::string::npos);
  EXPECT_NE(
      parseError(makeFile(R"({"__metadata__":[]})", 0)).find("__metadata__ must be an object"),
      std::string::npos);
}

TEST(SafetensorsHeader, ReadHeaderLengthRefusesHugeHeaders) {
  std::vector<std::byte> first(8, std::byte{0});
  const std::uint64_t huge = kMaxHeaderBytes + 1;
  for (int i = 0; i < 8; ++i) first[std::size_t(i)] = std::byte((huge >> (8 * i)) & 0xFF);
  try {
    readHeaderLength(first, huge + 100);
    FAIL() << "a header over the limit was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("over the"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace flint::engine
