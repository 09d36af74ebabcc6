import QtQuick
import QtQuick.Controls

// Non-think / Think High / Think Max. `mode` is the id the engine and the store use.
ComboBox {
    id: root
    readonly property var modes: ["non-think", "high", "max"]
    readonly property string mode: modes[currentIndex]
    signal modeChosen(string mode)

    function selectMode(id) {
        const i = modes.indexOf(id)
        if (i >= 0)
            currentIndex = i
    }

    implicitWidth: 160
    model: [qsTr("Non-think"), qsTr("Think High"), qsTr("Think Max")]
    onActivated: root.modeChosen(root.mode)
}
