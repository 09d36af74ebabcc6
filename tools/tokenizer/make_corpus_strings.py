#!/usr/bin/env python3
"""Writes the tokenizer test corpus's inputs (step 1 of make_corpus.sh): at least 2,000
deterministic strings of prose, code, CJK, emoji, numbers, whitespace runs, mixed scripts,
added-token text and random code points, plus byte strings with invalid UTF-8 (as hex).
Each code point used also gets its classes under this Python's Unicode, so the reference
step can drop strings whose characters another Unicode version classifies differently.

Usage: make_corpus_strings.py OUT.json
"""
import json
import random
import sys
import unicodedata

SEED = 20260517
rng = random.Random(SEED)

WORDS = ("the of and to in is was that for it with as on be at by this had not are but from "
         "or have an they which one you were all we her she there would their will when who "
         "him been has more if no out so said what up its about than into them can only other "
         "time new some could these two may first then do any like my now over such our man me "
         "even most made after also did many before must through back years where much your "
         "way well down should because each just those people Mr how too little state good very "
         "make world still own see men work long get here between both life being under never "
         "day same another know while last might us great old year off come since against go "
         "came right used take three DeepSeek Flint tokenizer's isn't we'll I'm they've you'd "
         "HTTP JSON URL e.g. i.e. co-operate state-of-the-art naïve café résumé Zürich").split()
CODE = [
    "int main(int argc, char** argv) {\n  return argc > 1 ? 0 : 1;\n}\n",
    "def f(x):\n    if x < 0:\n        return -x\n    return x ** 2  # square\n",
    "for (std::size_t i = 0; i < n; ++i) sum += a[i] * b[i];",
    "const x = await fetch(`/api/v1/items?id=${id}&limit=10`);",
    '{"name": "flint", "version": "0.1.0", "deps": ["spdlog", "nlohmann_json"]}',
    "SELECT id, title FROM conversations WHERE updated_at > ? ORDER BY id DESC;",
    "#include <vector>\n#include \"engine/tokenizer/tokenizer.h\"\n",
    "if [[ -f \"$f\" ]]; then\n\techo \"found $f\" >&2\nfi\n",
    "x = {'a': 1, 'b': [2, 3]}\r\nprint(x['a'])\r\n",
    "<div class=\"msg\"><p>Hello&nbsp;world</p></div>",
    "fn main() { let v: Vec<u8> = vec![0xFF; 16]; println!(\"{:?}\", v); }",
    "    \t  mixed_indent = True\n\t\tdeeper()\n",
    "a+=b; c-=d; e*=f; g/=h; i%=j; k<<=1; l>>=2; m&&n||o",
    "https://example.com/path/to/page.html?q=tokenizer&lang=en#section-2",
    "user@example.org, admin@flint.local; root@127.0.0.1",
    "$ ls -la /usr/local/bin | grep -E '^-rwx' | wc -l",
]
CJK = ["你好，世界！", "深度求索发布了新的模型。", "我们今天学习中文分词和字节级编码。",
       "日本語のテキストとカタカナ・ひらがなの混在テスト。", "コンピューター・プログラミング",
       "東京都渋谷区で会議があります。", "한국어 문장도 포함합니다. 안녕하세요!",
       "繁體中文：這是一個測試句子。", "漢字かな交じり文、句読点。「引用」『二重』",
       "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ　１２３", "〇一二三四五六七八九十百千万亿", "龦龧龨𠀀𠀁𪜀"]
EMOJI = ["😀", "🎉🎉🎉", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵🇺🇸", "❤️", "✅ done", "🔥🔥 hot 🔥",
         "🧑‍💻 coding", "☕️+🍰=😋", "🏳️‍🌈", "1️⃣2️⃣3️⃣", "😀😃😄😁😆😅😂🤣"]
NUMBERS = ["1234567", "3.14159265358979", "1,000,000", "2026-05-17", "12:30:45", "+49 30 1234567",
           "٠١٢٣٤٥٦٧٨٩", "१२३४५", "１２３４５", "x² + y² = z²", "½ ¾ ⅓", "Ⅻ Ⅷ ⅳ", "①②③",
           "0x7fffffff", "1e-9", "-42", "99.9%", "$1,299.99", "€5", "10000000000000000000"]
SCRIPTS = ["Привет, мир! Как дела?", "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם",
           "नमस्ते दुनिया", "สวัสดีชาวโลก", "Xin chào thế giới", "Ελληνικά και English mixed",
           "a\u0301e\u0301i\u0308o\u0302u\u0300", "ñandú", "Ǆǅǆ ǈǉ", "İstanbul ıi", "ß ẞ",
           "ამბავი", "Հայերեն", "ᚠᚢᚦᚨᚱᚲ", "ꯃꯤꯇꯩ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙", "Ⓐⓑⓒ"]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\n\n", " \n", "\u3000", "\u00a0", "\u2003", "\u2028",
          "\t\t", "   ", " \t ", "\r", "\v", "\f"]
ADDED = ["<｜User｜>", "<｜Assistant｜>", "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>",
         "<｜tool▁calls▁begin｜>", "<｜User", "｜>", "<think>", "</think>", "<｜fim▁hole｜>"]
PUNCT = list(".,;:!?'\"()[]{}<>-_/\\|@#$%^&*+=~`") + ["...", "—", "–", "«", "»", "“", "”",
                                                      "‘", "’", "…", "¿", "¡", "§", "¶", "•"]


def classes(cp):
    cat = unicodedata.category(chr(cp))[0]
    flags = {"L": "L", "M": "M", "N": "N", "P": "P", "S": "S"}.get(cat, "")
    if chr(cp).isspace() and cp not in (0x1C, 0x1D, 0x1E, 0x1F):  # str.isspace adds FS..US
        flags += "s"
    return flags


def random_code_point():
    while True:
        block = rng.choice([(0x20, 0x7F), (0xA0, 0x250), (0x370, 0x600), (0x900, 0xE80),
                            (0x1E00, 0x2100), (0x2100, 0x2800), (0x3000, 0x3100),
                            (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF),
                            (0x1F300, 0x1FAFF), (0x10000, 0x10FFF), (0x20000, 0x2A6DF)])
        cp = rng.randrange(*block)
        if unicodedata.category(chr(cp)) not in ("Cn", "Cs", "Co"):
            return chr(cp)


def sentence():
    words = [rng.choice(WORDS) for _ in range(rng.randint(3, 18))]
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", "!", "?", ",", ";", ":", "", "..."])


def fragment():
    kind = rng.randrange(9)
    if kind == 0:
        return sentence()
    if kind == 1:
        return rng.choice(CODE)
    if kind == 2:
        return rng.choice(CJK)
    if kind == 3:
        return rng.choice(EMOJI)
    if kind == 4:
        return rng.choice(NUMBERS)
    if kind == 5:
        return rng.choice(SCRIPTS)
    if kind == 6:
        return "".join(rng.choice(SPACES) for _ in range(rng.randint(1, 5)))
    if kind == 7:
        return rng.choice(ADDED + PUNCT)
    return "".join(random_code_point() for _ in range(rng.randint(1, 12)))


def texts():
    out = []
    for group in (WORDS, CODE, CJK, EMOJI, NUMBERS, SCRIPTS, SPACES, ADDED, PUNCT):
        out.extend(group)
    for _ in range(600):
        out.append(" ".join(sentence() for _ in range(rng.randint(1, 4))))
    for _ in range(900):
        out.append("".join(fragment() for _ in range(rng.randint(1, 6))))
    for _ in range(300):
        out.append("".join(random_code_point() for _ in range(rng.randint(1, 40))))
    for _ in range(150):  # whitespace runs between and around words
        parts = []
        for _ in range(rng.randint(1, 6)):
            parts.append("".join(rng.choice(SPACES) for _ in range(rng.randint(0, 8))))
            parts.append(rng.choice(WORDS + PUNCT + NUMBERS))
        out.append("".join(parts))
    out += ["a" * 3000, " " * 500 + "x", "9" * 1000, "ab" * 700, "\n" * 300, "😀" * 200,
            "".join(sentence() + " " for _ in range(60)), "\t" * 50 + "end", ""]
    # JavaScript's \s differs from Oniguruma's on U+0085 and U+FEFF: the reference step drops
    # these two, which shows its check works.
    out += ["a\u0085 b", "\ufeff x"]
    return out


def invalid_byte_strings():
    bad = [b"\xff", b"\xc0\xaf", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\xf0\x9f\x98", b"abc\x80def", b"\xe2\x82", b"\xe2\x82A", b"\xc3", b"\xfe\xfe\xff\xff",
           b"caf\xe9", b"\xf8\x88\x80\x80\x80", b"\xf0\x9f\x98\x80\xf0\x9f"]
    out = list(bad)
    for _ in range(200):
        base = fragment().encode()
        cut = rng.randrange(len(base) + 1)
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        out.append(base[:cut] + noise + base[cut:])
    return [b.hex() for b in out if not is_utf8(b)]


def is_utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def main():
    cases = [{"text": t} for t in texts()] + [{"bytes": h} for h in invalid_byte_strings()]
    used = sorted({ord(c) for case in cases if "text" in case for c in case["text"]})
    doc = {"unicode": unicodedata.unidata_version, "seed": SEED, "cases": cases,
           "classes": {str(cp): classes(cp) for cp in used}}
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
