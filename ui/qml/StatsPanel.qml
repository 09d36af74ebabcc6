import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// The statistics panel: the reply's speeds, and while speculating how the drafter does (an
// acceptance chart over the last verify steps, per-position acceptance bars, draft vs verify
// time, experts read per pass) with its speedup over plain decoding, and where the experts
// came from (host memory or disk) when they live in a host budget, with a heatmap of every
// layer's experts (tier and use). Shows a StatsModel.
Pane {
    id: root
    property StatsModel stats: null

    readonly property bool live: stats !== null && stats.hasData
    readonly property bool speculating: live && stats.speculating
    readonly property bool tiered: live && stats.expertTiers
    readonly property bool residency: live && stats.hasResidency

    function rate(value) { return value > 0 ? value.toFixed(1) : "–" }
    function percent(value) { return Math.round(value * 100) + "%" }

    padding: 12
    implicitWidth: 300
    background: Rectangle { color: palette.alternateBase }

    ColumnLayout {
        anchors.fill: parent
        spacing: 10

        Label {
            text: qsTr("Statistics")
            font.bold: true
        }

        Label {
            objectName: "statsPlaceholder"
            visible: !root.live
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: qsTr("The figures appear while a reply is generated.")
            color: palette.placeholderText
        }

        GridLayout {
            visible: root.live
            columns: 2
            columnSpacing: 12
            rowSpacing: 2
            Label { text: qsTr("Decode") }
            Label {
                objectName: "decodeRate"
                text: qsTr("%1 tok/s").arg(root.live ? root.rate(root.stats.decodeTokensPerSecond) : "–")
            }
            Label { text: qsTr("Prefill") }
            Label {
                objectName: "prefillRate"
                text: qsTr("%1 tok/s").arg(root.live ? root.rate(root.stats.prefillTokensPerSecond) : "–")
            }
            Label { text: qsTr("Generated") }
            Label { text: root.live ? qsTr("%1 tokens").arg(root.stats.generatedTokens) : "–" }
            Label { text: qsTr("Context") }
            Label {
                text: root.live ? qsTr("%1 of %2").arg(root.stats.contextUsed).arg(root.stats.contextMax) : "–"
            }
        }

        ColumnLayout {
            objectName: "speculationSection"
            visible: root.speculating
            Layout.fillWidth: true
            spacing: 6

            Label { text: qsTr("Speculation"); font.bold: true }
            GridLayout {
                columns: 2
                columnSpacing: 12
                rowSpacing: 2
                Label { text: qsTr("Accepted") }
                Label {
                    objectName: "acceptanceRate"
                    text: root.speculating
                          ? qsTr("%1 (last steps %2)").arg(root.percent(root.stats.acceptanceRate))
                                                     .arg(root.percent(root.stats.recentAcceptanceRate))
                          : "–"
                }
                Label { text: qsTr("Tokens per pass") }
                Label { text: root.speculating ? root.stats.meanAcceptedLength.toFixed(2) : "–" }
                Label { text: qsTr("Speedup") }
                Label {
                    objectName: "speedup"
                    text: !root.speculating ? "–"
                          : root.stats.speedup > 0 ? qsTr("%1× over plain steps").arg(root.stats.speedup.toFixed(2))
                          : qsTr("not measured yet")
                }
            }

            Label { text: qsTr("Acceptance per verify step"); color: palette.placeholderText }
            AcceptanceChart {
                objectName: "acceptanceChart"
                Layout.fillWidth: true
                Layout.preferredHeight: 80
                values: root.speculating ? root.stats.acceptanceHistory : []
                capacity: root.stats ? root.stats.historyCapacity : 64
            }

            Label { text: qsTr("Acceptance by draft position"); color: palette.placeholderText }
            PositionBars {
                objectName: "positionBars"
                Layout.fillWidth: true
                Layout.preferredHeight: 80
                values: root.speculating ? root.stats.positionAcceptance : []
            }

            Label { text: qsTr("Time: draft vs verify"); color: palette.placeholderText }
            PairBars {
                objectName: "timeSplit"
                Layout.fillWidth: true
                first: root.speculating ? root.stats.draftSeconds : 0
                second: root.speculating ? root.stats.verifySeconds : 0
                firstLabel: qsTr("draft %1 s").arg(first.toFixed(2))
                secondLabel: qsTr("verify %1 s").arg(second.toFixed(2))
            }

            Label { text: qsTr("Distinct experts read"); color: palette.placeholderText }
            PairBars {
                objectName: "expertsSplit"
                Layout.fillWidth: true
                stacked: false
                first: root.speculating ? root.stats.expertsPerVerify : 0
                second: root.speculating ? root.stats.expertsPerPlainStep : 0
                firstLabel: qsTr("%1 per verify pass").arg(first.toFixed(1))
                secondLabel: qsTr("%1 per plain step").arg(second.toFixed(1))
            }
        }

        ColumnLayout {
            objectName: "expertSection"
            visible: root.live
            Layout.fillWidth: true
            spacing: 6

            Label { text: qsTr("Experts"); font.bold: true }
            Label {
                objectName: "expertsNotTiered"
                visible: !root.tiered
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: qsTr("Not tiered: every expert is in memory.")
                color: palette.placeholderText
            }
            GridLayout {
                visible: root.tiered
                columns: 2
                columnSpacing: 12
                rowSpacing: 2
                Label { text: qsTr("From host memory") }
                Label {
                    objectName: "expertHitRate"
                    text: root.tiered ? root.percent(root.stats.expertHitRate) : "–"
                }
                Label { text: qsTr("Read from disk") }
                Label {
                    objectName: "expertDiskReads"
                    text: root.tiered ? qsTr("%1 (%2 read ahead)").arg(root.stats.expertDiskReads)
                                                                  .arg(root.stats.expertReadAhead)
                                      : "–"
                }
                Label { text: qsTr("Disk traffic") }
                Label {
                    objectName: "expertMegabytesRead"
                    text: root.tiered ? qsTr("%1 MB in %2 s").arg(root.stats.expertMegabytesRead.toFixed(1))
                                                            .arg(root.stats.expertReadSeconds.toFixed(2))
                                      : "–"
                }
            }
            PairBars {
                objectName: "expertUseSplit"
                visible: root.tiered
                Layout.fillWidth: true
                first: root.tiered ? root.stats.expertHostHits : 0
                second: root.tiered ? root.stats.expertDiskReads : 0
                firstLabel: qsTr("%1 uses from memory").arg(first)
                secondLabel: qsTr("%1 from disk").arg(second)
            }

            Label {
                visible: root.residency
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: qsTr("Layers down, experts across; stronger is used more")
                color: palette.placeholderText
            }
            ExpertHeatmap {
                id: heatmap
                objectName: "expertHeatmap"
                visible: root.residency
                Layout.fillWidth: true
                Layout.preferredHeight: implicitHeight
                layers: root.residency ? root.stats.residencyLayers : 0
                experts: root.residency ? root.stats.residencyExperts : 0
                tiers: root.residency ? root.stats.residencyTiers : []
                heat: root.residency ? root.stats.residencyHeat : []
            }
            Flow {
                objectName: "heatmapLegend"
                visible: root.residency
                Layout.fillWidth: true
                spacing: 10
                // A count for a model (see PairBars): the legend is not rebuilt per figure.
                Repeater {
                    model: root.tiered ? 2 : 1
                    Row {
                        id: entry
                        required property int index
                        spacing: 4
                        Rectangle {
                            width: 10
                            height: 10
                            anchors.verticalCenter: parent.verticalCenter
                            color: !root.tiered ? heatmap.mappedColor
                                 : entry.index === 0 ? heatmap.hostColor : heatmap.diskColor
                        }
                        Label {
                            text: !root.tiered ? qsTr("mapped")
                                : entry.index === 0 ? qsTr("host RAM") : qsTr("disk")
                        }
                    }
                }
            }
        }

        Item { Layout.fillHeight: true }
    }
}
