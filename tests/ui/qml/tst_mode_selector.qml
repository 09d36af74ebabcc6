import QtQuick
import QtTest
import Flint

TestCase {
    id: testCase
    name: "ModeSelector"
    width: 300
    height: 200
    when: windowShown

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
}
