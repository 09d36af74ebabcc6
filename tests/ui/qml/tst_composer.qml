import QtQuick
import QtTest
import Flint

TestCase {
    id: testCase
    name: "Composer"
    width: 600
    height: 200
    when: windowShown
    visible: true  // the notices and bars below are checked for visibility

    Component {
        id: composerComponent
        Composer { width: 600 }
    }

    Component {
        id: barComponent
        ContextBar { width: 400 }
    }
    Component {
        id: meterComponent
        ContextMeter {}
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

    // The bar's two parts follow the counts; the label names both figures.
    function test_contextBarShowsUsedAndTyped() {
        const bar = createTemporaryObject(barComponent, testCase,
                                          { used: 1024, typed: 512, max: 4096 })
        const track = findChild(bar, "contextTrack")
        const used = findChild(bar, "contextUsedBar")
        const typed = findChild(bar, "contextTypedBar")
        verify(track.width > 100)
        fuzzyCompare(used.width, track.width / 4, 0.5)
        fuzzyCompare(typed.x, used.width, 0.5)
        fuzzyCompare(typed.width, track.width / 8, 0.5)
        // Whatever the locale's digit grouping: 1,536 / 4,096 tokens.
        const label = findChild(bar, "contextLabel").text
        compare(label.replace(/[^0-9\/a-z]/g, ""), "1536/4096tokens")
    }

    function test_contextBarWarnsNearAndOverTheLimit() {
        const bar = createTemporaryObject(barComponent, testCase, { used: 100, max: 4096 })
        const used = findChild(bar, "contextUsedBar")
        const normal = String(used.color)  // a copy, not a live reference
        bar.nearLimit = true
        verify(!Qt.colorEqual(used.color, normal), "near the limit the bar changes colour")
        const near = String(used.color)
        bar.overLimit = true
        verify(!Qt.colorEqual(used.color, near), "over the limit it changes again")
        bar.typed = 10000
        const track = findChild(bar, "contextTrack")
        fuzzyCompare(used.width + findChild(bar, "contextTypedBar").width, track.width, 0.5,
                     "the bar stops at the end of its track")
    }

    function test_contextBarWaitsForItsModel() {
        const composer = makeComposer()
        verify(findChild(composer, "inputBox").visible)
        verify(!findChild(composer, "contextBar").visible, "no meter, no bar")
        const meter = createTemporaryObject(meterComponent, testCase)  // no model folder yet
        composer.contextMeter = meter
        verify(!findChild(composer, "contextBar").visible, "no counts before the model is read")
    }
}
