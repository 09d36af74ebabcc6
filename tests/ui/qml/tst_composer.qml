import QtQuick
import QtTest
import Flint

TestCase {
    id: testCase
    name: "Composer"
    width: 600
    height: 200
    when: windowShown

    Component {
        id: composerComponent
        Composer { width: 600 }
    }

    SignalSpy { id: sendSpy; signalName: "sendRequested" }

    function makeComposer() {
        const composer = createTemporaryObject(composerComponent, testCase)
        sendSpy.clear()
        sendSpy.target = composer
        return composer
    }

    function inputOf(composer) { return findChild(composer, "inputBox") }

    function test_enterSends() {
        const composer = makeComposer()
        const input = inputOf(composer)
        input.forceActiveFocus()
        keyClick(Qt.Key_H)
        keyClick(Qt.Key_I)
        keyClick(Qt.Key_Return)
        compare(sendSpy.count, 1)
        compare(sendSpy.signalArguments[0][0], "hi")
        compare(input.text, "", "the box empties after sending")
    }

    function test_shiftEnterStartsANewLine() {
        const composer = makeComposer()
        const input = inputOf(composer)
        input.forceActiveFocus()
        keyClick(Qt.Key_A)
        keyClick(Qt.Key_Return, Qt.ShiftModifier)
        keyClick(Qt.Key_B)
        compare(sendSpy.count, 0)
        compare(input.text, "a\nb")
    }

    function test_blankMessagesAreNotSent() {
        const composer = makeComposer()
        const input = inputOf(composer)
        input.forceActiveFocus()
        keyClick(Qt.Key_Space)
        keyClick(Qt.Key_Return)
        compare(sendSpy.count, 0)
        verify(!findChild(composer, "sendButton").enabled)
    }

    function test_busyComposerHoldsTheMessage() {
        const composer = makeComposer()
        composer.busy = true
        composer.text = "wait"
        composer.send()
        compare(sendSpy.count, 0)
        compare(composer.text, "wait")
    }
}
