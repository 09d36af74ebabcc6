import QtQuick
import QtTest
import Flint

TestCase {
    id: testCase
    name: "ModeSelector"
    width: 300
    height: 200
    when: windowShown
    visible: true  // the notices and bars below are checked for visibility

    Component {
        id: selectorComponent
        ModeSelector {}
    }

    SignalSpy { id: chosenSpy; signalName: "modeChosen" }

    function test_labelsAndIds() {
        const selector = createTemporaryObject(selectorComponent, testCase)
        compare(selector.count, 3)
        const labels = [selector.textAt(0), selector.textAt(1), selector.textAt(2)]
        compare(labels, ["Non-think", "Think High", "Think Max"])
        compare(selector.mode, "non-think")
    }

    function test_selectModeById() {
        const selector = createTemporaryObject(selectorComponent, testCase)
        selector.selectMode("max")
        compare(selector.currentText, "Think Max")
        compare(selector.mode, "max")
        selector.selectMode("no-such-mode")
        compare(selector.mode, "max", "unknown ids leave the choice alone")
    }

    function test_choosingByKeyboardEmitsTheId() {
        const selector = createTemporaryObject(selectorComponent, testCase)
        chosenSpy.clear()
        chosenSpy.target = selector
        selector.forceActiveFocus()
        keyClick(Qt.Key_Down)
        compare(chosenSpy.count, 1)
        compare(chosenSpy.signalArguments[0][0], "high")
    }

    // Think Max on a model configured below the recommended context: a notice, not a block.
    function test_maxOnAShortContextShowsANotice() {
        const selector = createTemporaryObject(selectorComponent, testCase, {
            contextMax: 4096, contextShortForMax: true, recommendedMaxContext: 393216 })
        const notice = findChild(selector, "maxContextNotice")
        verify(!notice.visible)
        selector.selectMode("high")
        verify(!notice.visible)
        selector.selectMode("max")
        compare(selector.mode, "max", "the mode switches all the same")
        verify(notice.visible)
        verify(notice.text.indexOf("384K") >= 0, notice.text)
        verify(notice.text.indexOf("4K") >= 0, notice.text)
        selector.contextShortForMax = false
        verify(!notice.visible, "a model with enough context needs no notice")
    }
}
