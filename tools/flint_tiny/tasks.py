"""Training and evaluation data for flint-tiny, generated here from a seed (nothing downloaded).

Each example is a user question with three answers, one per thinking mode:
  non-think: the direct answer;
  high:      step-by-step reasoning, then the answer;
  max:       longer reasoning that checks itself, then the answer.
Every example is rendered through the exact V4 prompt rules (deepseek-v4.md §6) by render().

Families: multi-digit addition and subtraction, one-digit times two-digit multiplication,
comparisons, sorting, letter counting, unit and weekday arithmetic, definitions from a small
glossary written for this project, document questions whose answer sits in a passage of growing
length, greetings and chit-chat.
"""

import pathlib
import re
import zlib

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"
THINK = "<think>"
END_THINK = "</think>"


def _max_preamble():
    """REASONING_EFFORT_MAX, read from the engine's source so the bytes have one home."""
    source = pathlib.Path(__file__).resolve().parents[2] / "engine/tokenizer/reasoning_preamble.cpp"
    text = source.read_text(encoding="utf-8")
    start = text.index('"Reasoning Effort')
    end = text.index(";", start)
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', text[start:end])
    return "".join(parts).encode().decode("unicode_escape")


MAX_PREAMBLE = _max_preamble()
assert len(MAX_PREAMBLE.encode()) == 476, len(MAX_PREAMBLE.encode())

MODES = ("non-think", "high", "max")


def prompt(question, mode):
    """The generation prefix the engine builds for one user turn (deepseek-v4.md §6)."""
    head = BOS + (MAX_PREAMBLE if mode == "max" else "")
    return head + USER + question + ASSISTANT + (THINK if mode != "non-think" else END_THINK)


def render(example, mode):
    """(prefix, completion): the completion is what the model learns to write."""
    if mode == "non-think":
        return prompt(example["q"], mode), example["a"] + EOS
    reasoning = example["high"] if mode == "high" else example["max"]
    return prompt(example["q"], mode), reasoning + END_THINK + example["a"] + EOS


# --- arithmetic -------------------------------------------------------------------------------

def _digits_steps(a, b):
    """Column addition, ones first, as sentences."""
    steps, carry, place = [], 0, 0
    names = ["ones", "tens", "hundreds", "thousands"]
    da, db = str(a)[::-1], str(b)[::-1]
    for i in range(max(len(da), len(db))):
        x = int(da[i]) if i < len(da) else 0
        y = int(db[i]) if i < len(db) else 0
        s = x + y + carry
        extra = f" + {carry}" if carry else ""
        steps.append(f"{names[place]}: {x} + {y}{extra} = {s}"
                     + (f", write {s % 10} carry 1" if s >= 10 else ""))
        carry = s // 10
        place += 1
    if carry:
        steps.append(f"{names[place]}: carry 1")
    return steps


def addition(rng):
    a, b = rng.randint(10, 999), rng.randint(10, 999)
    q = rng.choice([f"What is {a}+{b}?", f"What is {a} + {b}?", f"Add {a} and {b}.",
                    f"Compute {a} plus {b}."])
    s = a + b
    steps = _digits_steps(a, b)
    high = f"Add column by column. " + "; ".join(steps) + f". So {a} + {b} = {s}."
    check = f"Check: {s} - {b} = {a}, which matches."
    max_ = ("I need the sum of " + f"{a} and {b}. " + high + " " + check
            + f" Estimate: about {round(a, -1)} + {round(b, -1)} = {round(a, -1) + round(b, -1)},"
            + f" close to {s}. The answer is {s}.")
    return {"q": q, "a": f"{a} + {b} = {s}.", "high": high, "max": max_}


def subtraction(rng):
    a, b = rng.randint(20, 999), rng.randint(10, 999)
    if b > a:
        a, b = b, a
    d = a - b
    q = rng.choice([f"What is {a}-{b}?", f"What is {a} - {b}?", f"Subtract {b} from {a}."])
    high = (f"Take {b} from {a}. {a} - {b - b % 10} = {a - (b - b % 10)}, then "
            f"{a - (b - b % 10)} - {b % 10} = {d}. So {a} - {b} = {d}.")
    max_ = (f"I need {a} minus {b}. " + high + f" Check: {d} + {b} = {a}, which matches."
            f" The answer is {d}.")
    return {"q": q, "a": f"{a} - {b} = {d}.", "high": high, "max": max_}


def multiplication(rng):
    a, b = rng.randint(2, 9), rng.randint(11, 99)
    p = a * b
    tens, ones = b - b % 10, b % 10
    q = rng.choice([f"What is {a}*{b}?", f"What is {a} times {b}?", f"Multiply {a} by {b}."])
    high = (f"Split {b} into {tens} + {ones}. {a} * {tens} = {a * tens}; {a} * {ones} = "
            f"{a * ones}; {a * tens} + {a * ones} = {p}. So {a} * {b} = {p}.")
    max_ = (f"I need {a} times {b}. " + high + f" Check: {b} * {a} is {b} added {a} times, "
            f"{' + '.join([str(b)] * a)} = {p}. The answer is {p}.")
    return {"q": q, "a": f"{a} * {b} = {p}.", "high": high, "max": max_}


def comparison(rng):
    a, b = rng.sample(range(10, 1000), 2)
    big = max(a, b)
    q = rng.choice([f"Which is larger, {a} or {b}?", f"Which number is bigger: {a} or {b}?"])
    high = (f"{a} has {len(str(a))} digits and {b} has {len(str(b))} digits. "
            + (f"Compare digit by digit from the left. " if len(str(a)) == len(str(b)) else "")
            + f"{big} is larger.")
    max_ = high + f" Check: {big} - {min(a, b)} = {big - min(a, b)}, which is positive. " \
        f"The answer is {big}."
    return {"q": q, "a": f"{big} is larger.", "high": high, "max": max_}


def sorting(rng):
    xs = rng.sample(range(1, 100), rng.randint(3, 5))
    s = sorted(xs)
    listed = ", ".join(map(str, xs))
    q = rng.choice([f"Sort these numbers from smallest to largest: {listed}.",
                    f"Put in increasing order: {listed}."])
    picks, rest = [], list(xs)
    while rest:
        m = min(rest)
        picks.append(f"smallest of {', '.join(map(str, rest))} is {m}")
        rest.remove(m)
    high = "Pick the smallest each time: " + "; ".join(picks) + "."
    max_ = high + " Check each neighbour: " + ", ".join(
        f"{s[i]} < {s[i + 1]}" for i in range(len(s) - 1)) + ". All in order."
    return {"q": q, "a": ", ".join(map(str, s)) + ".", "high": high, "max": max_}


WORDS = ("apple banana cherry window garden rocket planet silver orange purple pencil market "
         "letter summer winter castle dragon forest river mountain button candle kitten butter "
         "yellow bottle ladder mirror pepper tomato").split()


def counting(rng):
    word = rng.choice(WORDS)
    letter = rng.choice(sorted(set(word)))
    n = word.count(letter)
    q = rng.choice([f"How many times does the letter {letter} appear in {word}?",
                    f"Count the letter {letter} in the word {word}."])
    spelled = " ".join(word)
    marks = ", ".join(f"{c}" + (" (yes)" if c == letter else "") for c in word)
    high = f"Spell it: {spelled}. Mark each {letter}: {marks}. That is {n}."
    max_ = high + f" Check by counting again: {n} times {letter} in {word}. The answer is {n}."
    return {"q": q, "a": f"The letter {letter} appears {n} time{'s' if n != 1 else ''} in {word}.",
            "high": high, "max": max_}


DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def units(rng):
    kind = rng.randrange(3)
    if kind == 0:
        h = rng.randint(2, 12)
        q = f"How many minutes are in {h} hours?"
        high = f"One hour has 60 minutes, so {h} hours have {h} * 60 = {h * 60} minutes."
        a = f"{h * 60} minutes."
        check = f"Check: {h * 60} / 60 = {h}."
    elif kind == 1:
        m = rng.randint(2, 9)
        q = f"How many centimetres are in {m} metres?"
        high = f"One metre has 100 centimetres, so {m} metres have {m} * 100 = {m * 100}."
        a = f"{m * 100} centimetres."
        check = f"Check: {m * 100} / 100 = {m}."
    else:
        d, k = rng.randrange(7), rng.randint(1, 9)
        q = f"What day comes {k} days after {DAYS[d]}?"
        walk = ", ".join(DAYS[(d + i) % 7] for i in range(1, k + 1))
        high = f"Count forward {k} days from {DAYS[d]}: {walk}. So it is {DAYS[(d + k) % 7]}."
        a = f"{DAYS[(d + k) % 7]}."
        check = f"Check: {k} mod 7 = {k % 7} steps from {DAYS[d]}."
    return {"q": q, "a": a, "high": high, "max": high + " " + check + " The answer holds."}


GLOSSARY = {
    "compiler": "a program that translates source code into machine code",
    "kernel": "the core of an operating system that manages the hardware",
    "byte": "a unit of digital information made of eight bits",
    "cache": "a small fast memory that keeps copies of recently used data",
    "thread": "a sequence of instructions that can run alongside others in one program",
    "database": "an organised collection of data that can be searched and updated",
    "tokenizer": "a program that splits text into tokens a model can read",
    "bandwidth": "the amount of data that can move per second",
    "algorithm": "a step-by-step procedure for solving a problem",
    "variable": "a named place that holds a value in a program",
    "network": "a set of computers connected to share data",
    "pixel": "the smallest dot of colour on a screen",
    "server": "a computer that provides services to other computers",
    "router": "a device that forwards data between networks",
    "function": "a named block of code that performs a task",
    "editor": "a program for writing and changing text",
    "memory": "the part of a computer that stores data while it runs",
    "processor": "the chip that executes the instructions of a program",
    "file": "a named collection of data stored on a disk",
    "password": "a secret word used to prove who you are",
}


def definition(rng):
    term, meaning = rng.choice(sorted(GLOSSARY.items()))
    q = rng.choice([f"What is a {term}?", f"Define {term}.", f"What does {term} mean?"])
    a = f"A {term} is {meaning}."
    high = f"The question asks for the meaning of {term}. It is {meaning}."
    return {"q": q, "a": a, "high": high, "max": high + " That covers the usual sense."}


NAMES = ["Ada", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena"]
THINGS = ["apples", "books", "coins", "stamps", "shells", "marbles", "pens", "cards"]


def document(rng, facts=None):
    """A passage of `facts` sentences about people and counts; one is asked about."""
    facts = facts or rng.choice([2, 4, 8, 12])
    people = rng.sample(NAMES, min(facts, len(NAMES)))
    while len(people) < facts:
        people.append(rng.choice(NAMES))
    lines = []
    for person in people:
        lines.append((person, rng.choice(THINGS), rng.randint(2, 99)))
    seen, unique = set(), []
    for person, thing, n in lines:
        if (person, thing) not in seen:
            seen.add((person, thing))
            unique.append((person, thing, n))
    person, thing, n = rng.choice(unique)
    passage = " ".join(f"{p} has {k} {t}." for p, t, k in unique)
    q = f"Read the text and answer.\n\n{passage}\n\nHow many {thing} does {person} have?"
    high = f"Find the sentence about {person} and {thing}: {person} has {n} {thing}."
    return {"q": q, "a": f"{person} has {n} {thing}.", "high": high,
            "max": high + f" No other sentence gives {person} {thing}. The answer is {n}.",
            "facts": len(unique)}


CHAT = [
    ("Hi", "Hello! How can I help you today?"),
    ("Hello", "Hi there! What can I do for you?"),
    ("Good morning", "Good morning! How can I help?"),
    ("How are you?", "I am fine, thank you. How can I help you?"),
    ("Who are you?", "I am flint-tiny, a small model that runs inside Flint."),
    ("What can you do?", "I can do small sums, sort numbers, count letters, define a few words "
     "and answer questions about a short text."),
    ("Thanks", "You are welcome!"),
    ("Thank you!", "Glad to help."),
    ("Bye", "Goodbye! Have a nice day."),
    ("Tell me a joke", "Why did the computer go to sleep? It had too many tabs open."),
]


def chat(rng):
    q, a = rng.choice(CHAT)
    return {"q": q, "a": a, "high": "The user is chatting. A short friendly reply fits.",
            "max": "The user is chatting, not asking a task. A short friendly reply fits; "
                   "nothing needs checking."}


FAMILIES = {
    "addition": (addition, 5), "subtraction": (subtraction, 2), "multiplication": (multiplication, 2),
    "comparison": (comparison, 1), "sorting": (sorting, 1), "counting": (counting, 1),
    "units": (units, 1), "definition": (definition, 1), "document": (document, 2), "chat": (chat, 2),
}


def sample(rng):
    names = list(FAMILIES)
    weights = [FAMILIES[n][1] for n in names]
    family = rng.choices(names, weights)[0]
    example = FAMILIES[family][0](rng)
    example["family"] = family
    return example


def held_out(example):
    """Evaluation questions are those whose text hashes into the held-out tenth, so training
    (which skips them) never sees an evaluation question. Chat and definitions come from fixed
    lists and are trained on whole."""
    if example["family"] in ("chat", "definition"):
        return False
    return zlib.crc32(example["q"].encode()) % 10 == 0
