import QtQuick
import QtTest
import Flint

// The chat column's views on a hand-made message list: send and stop from the composer,
// switching the mode, opening a finished answer's reasoning, and walking branches.
TestCase {
    id: testCase
    name: "ChatView"
    width: 800
    height: 700
    when: windowShown
    visible: true  // the clicks below need items that are shown

    ListModel {
        id: sampleMessages
        ListElement {
            messageId: 1; role: "user"; content: "What is 2+2?"; thinking: ""
            thinkingSeconds: 0; streaming: false; mode: ""; siblingIndex: 1; siblingCount: 1
            state: "done"; error: ""
        }
        ListElement {
            messageId: 2; role: "assistant"; content: "**4**"; thinking: "Add two and two."
            thinkingSeconds: 3.2; streaming: false; mode: "high"; siblingIndex: 2; siblingCount: 3
            state: "done"; error: ""
        }
    }

    Component {
        id: chatComponent
        ChatView { width: 800; height: 600; messages: sampleMessages }
    }
    ListModel {
        id: codeMessages
        ListElement {
            messageId: 7; role: "assistant"; content: "Run this:\n```sh\necho hi\n```\nThen look."
            thinking: ""; thinkingSeconds: 0; streaming: false; mode: "non-think"; siblingIndex: 1
            siblingCount: 1; state: "done"; error: ""
        }
    }
    Component {
        id: codeChatComponent
        ChatView { width: 800; height: 600; messages: codeMessages }
    }
    SignalSpy { id: copySpy; signalName: "copyRequested" }

    Component {
        id: composerComponent
        Composer { width: 600 }
    }
    Component {
        id: selectorComponent
        ModeSelector {}
    }

    SignalSpy { id: sendSpy; signalName: "sendRequested" }
    SignalSpy { id: stopSpy; signalName: "stopRequested" }
    SignalSpy { id: siblingSpy; signalName: "siblingRequested" }
    SignalSpy { id: regenerateSpy; signalName: "regenerateRequested" }
    SignalSpy { id: editSpy; signalName: "editRequested" }
    SignalSpy { id: modeSpy; signalName: "modeChosen" }

    function makeChat() {
        const chat = createTemporaryObject(chatComponent, testCase)
        const list = findChild(chat, "messageList")
        tryVerify(() => list.itemAtIndex(1) !== null)
        for (const spy of [siblingSpy, regenerateSpy, editSpy]) {
            spy.clear()
            spy.target = chat
        }
        return chat
    }

    function answerOf(chat) { return findChild(chat, "messageList").itemAtIndex(1) }

    function test_sendThenStop() {
        const composer = createTemporaryObject(composerComponent, testCase)
        sendSpy.clear(); sendSpy.target = composer
        stopSpy.clear(); stopSpy.target = composer
        findChild(composer, "inputBox").forceActiveFocus()
        keyClick(Qt.Key_H)
        keyClick(Qt.Key_Return, Qt.ControlModifier)
        compare(sendSpy.count, 1)
        compare(sendSpy.signalArguments[0][0], "h")

        composer.busy = true
        verify(!findChild(composer, "sendButton").visible)
        const stop = findChild(composer, "stopButton")
        verify(stop.visible)
        mouseClick(stop)
        compare(stopSpy.count, 1)
        keyClick(Qt.Key_Escape)
        compare(stopSpy.count, 2)
        composer.busy = false
        keyClick(Qt.Key_Escape)
        compare(stopSpy.count, 2, "Esc stops only while a reply streams")
    }

    function test_switchMode() {
        const selector = createTemporaryObject(selectorComponent, testCase)
        modeSpy.clear(); modeSpy.target = selector
        selector.forceActiveFocus()
        keyClick(Qt.Key_Down)
        keyClick(Qt.Key_Down)
        compare(modeSpy.count, 2)
        compare(modeSpy.signalArguments[1][0], "max")
        // Each answer shows the mode it was made with.
        const chat = makeChat()
        compare(findChild(answerOf(chat), "modeBadge").text, "Think High")
        verify(!findChild(findChild(chat, "messageList").itemAtIndex(0), "modeBadge").visible)
    }

    function test_thinkingIsFoldedAfterItEndsAndOpensOnClick() {
        const chat = makeChat()
        const block = findChild(answerOf(chat), "thinkingBlock")
        const toggle = findChild(block, "thinkingToggle")
        const text = findChild(block, "thinkingText")
        verify(block.visible)
        verify(!block.expanded)
        verify(!text.visible)
        verify(toggle.contentItem.text.indexOf("Thought for 3 s") >= 0, toggle.contentItem.text)
        mouseClick(toggle)
        verify(block.expanded)
        verify(text.visible)
        compare(text.text, "Add two and two.")
        mouseClick(toggle)
        verify(!text.visible)
    }

    function test_thinkingStreamsOpen() {
        sampleMessages.setProperty(1, "streaming", true)
        sampleMessages.setProperty(1, "content", "")
        sampleMessages.setProperty(1, "state", "streaming")
        const chat = makeChat()
        const block = findChild(answerOf(chat), "thinkingBlock")
        verify(block.active)
        verify(block.expanded)
        verify(findChild(block, "thinkingToggle").contentItem.text.indexOf("Thinking…") >= 0)
        verify(!findChild(answerOf(chat), "actions").visible, "no actions while streaming")
        // The answer starts: thinking is over and folds away.
        sampleMessages.setProperty(1, "content", "4")
        verify(!block.active)
        verify(!block.expanded)
        sampleMessages.setProperty(1, "streaming", false)
        sampleMessages.setProperty(1, "content", "**4**")
        sampleMessages.setProperty(1, "state", "done")
    }

    function test_navigateBranchesRegenerateAndEdit() {
        const chat = makeChat()
        const answer = answerOf(chat)
        compare(findChild(answer, "siblingLabel").text, "2/3")
        mouseClick(findChild(answer, "previousSibling"))
        mouseClick(findChild(answer, "nextSibling"))
        compare(siblingSpy.count, 2)
        compare([siblingSpy.signalArguments[0][0], siblingSpy.signalArguments[0][1]], [2, -1])
        compare([siblingSpy.signalArguments[1][0], siblingSpy.signalArguments[1][1]], [2, 1])
        mouseClick(findChild(answer, "regenerateButton"))
        compare(regenerateSpy.count, 1)
        compare(regenerateSpy.signalArguments[0][0], 2)

        const question = findChild(chat, "messageList").itemAtIndex(0)
        verify(!findChild(question, "siblingLabel").visible, "one version: no navigation")
        mouseClick(findChild(question, "editButton"))
        const box = findChild(question, "editBox")
        verify(box.visible)
        compare(box.text, "What is 2+2?")
        box.text = "What is 3+3?"
        mouseClick(findChild(question, "editSendButton"))
        compare(editSpy.count, 1)
        compare([editSpy.signalArguments[0][0], editSpy.signalArguments[0][1]], [1, "What is 3+3?"])
        tryVerify(() => findChild(question, "editBox") === null, 1000, "the editor goes once the edit is sent")
    }

    function test_busyDisablesBranchActions() {
        const chat = makeChat()
        chat.busy = true
        const answer = answerOf(chat)
        verify(!findChild(answer, "regenerateButton").enabled)
        verify(!findChild(answer, "previousSibling").enabled)
    }

    // A code block gets its own monospace box and Copy button; prose around it stays Markdown.
    function test_codeBlocksHaveACopyButton() {
        const chat = createTemporaryObject(codeChatComponent, testCase)
        const list = findChild(chat, "messageList")
        tryVerify(() => list.itemAtIndex(0) !== null)
        const answer = list.itemAtIndex(0)
        const block = findChild(answer, "codeBlock")
        verify(block)
        compare(findChild(block, "codeLanguage").text, "sh")
        const code = findChild(block, "codeText")
        compare(code.text, "echo hi")
        compare(code.font.family, "monospace")
        copySpy.clear(); copySpy.target = chat
        mouseClick(findChild(block, "codeCopyButton"))
        compare(copySpy.count, 1)
        compare(copySpy.signalArguments[0][0], "echo hi", "only the code is copied")
        mouseClick(findChild(answer, "copyButton"))
        compare(copySpy.signalArguments[1][0], codeMessages.get(0).content, "Copy takes the message")
    }

    // While a reply streams, the segments above the last one are left alone.
    function test_streamingKeepsEarlierSegments() {
        codeMessages.setProperty(0, "streaming", true)
        codeMessages.setProperty(0, "content", "Run this:\n```sh\necho hi")
        const chat = createTemporaryObject(codeChatComponent, testCase)
        const list = findChild(chat, "messageList")
        tryVerify(() => list.itemAtIndex(0) !== null)
        const answer = list.itemAtIndex(0)
        const prose = findChild(answer, "messageText")
        const block = findChild(answer, "codeBlock")
        verify(prose && block)
        codeMessages.setProperty(0, "content", "Run this:\n```sh\necho hi\necho there")
        compare(findChild(answer, "messageText"), prose, "the prose above is the same item")
        compare(findChild(answer, "codeBlock"), block, "the growing block is updated in place")
        compare(findChild(block, "codeText").text, "echo hi\necho there")
        codeMessages.setProperty(0, "streaming", false)
        codeMessages.setProperty(0, "content", "Run this:\n```sh\necho hi\n```\nThen look.")
    }
}
