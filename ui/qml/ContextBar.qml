import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A thin bar of the context the next prompt takes: the conversation so far, then the text
// being typed in a lighter shade, against the model's maximum; "1,234 / 4,096 tokens" beside
// it. Warning colours near and over the limit.
RowLayout {
    id: root
    property int used: 0
    property int typed: 0
    property int max: 0
    property bool nearLimit: false
    property bool overLimit: false

    readonly property int total: used + typed
    readonly property color fill: overLimit ? "firebrick" : nearLimit ? "darkorange" : palette.highlight

    function count(n) { return Number(n).toLocaleString(Qt.locale(), "f", 0) }
    function share(n) { return max > 0 ? Math.min(n / max, 1) : 0 }

    spacing: 8

    Rectangle {
        id: track
        objectName: "contextTrack"
        Layout.fillWidth: true
        implicitHeight: 4
        radius: 2
        color: palette.mid
        clip: true
        Rectangle {
            objectName: "contextUsedBar"
            width: track.width * root.share(root.used)
            height: parent.height
            radius: 2
            color: root.fill
        }
        Rectangle {
            objectName: "contextTypedBar"
            x: track.width * root.share(root.used)
            width: track.width * (root.share(root.total) - root.share(root.used))
            height: parent.height
            radius: 2
            color: root.fill
            opacity: 0.5
        }
    }

    Label {
        objectName: "contextLabel"
        text: qsTr("%1 / %2 tokens").arg(root.count(root.total)).arg(root.count(root.max))
        color: root.overLimit ? "firebrick" : root.nearLimit ? "darkorange" : palette.placeholderText
        font.pixelSize: 11
    }
}
