// flint-cli serve from Qt's network stack (QNetworkAccessManager), the client the app's own
// code would use: the model list, a streamed Think High answer split into reasoning_content
// and content and closed by [DONE], a malformed body answered 400 in words, and an aborted
// stream that cancels its generation on the server.
#include "tests/app/remote/serve_process.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QtTest>

namespace {

constexpr int kTimeoutMs = 60000;

QNetworkRequest request(const flint::testing::ServeProcess& server, const QString& path) {
  QNetworkRequest r(QUrl(QString::fromStdString(server.url()) + path));
  r.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
  r.setTransferTimeout(kTimeoutMs);
  return r;
}

QByteArray chat(const QString& question, const QString& mode, int maxTokens, bool stream) {
  QJsonObject body{{"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", question}}}},
                   {"thinking_mode", mode},
                   {"temperature", 0},
                   {"max_tokens", maxTokens},
                   {"stream", stream}};
  return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

bool finish(QNetworkReply* reply) {
  if (reply->isFinished()) return true;
  QSignalSpy done(reply, &QNetworkReply::finished);
  return done.wait(kTimeoutMs);
}

double metric(QNetworkAccessManager& net, const flint::testing::ServeProcess& server,
              const QByteArray& key) {
  QNetworkRequest r(QUrl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(server.port())));
  std::unique_ptr<QNetworkReply> reply(net.get(r));
  if (!finish(reply.get())) return -1;
  return flint::testing::metricValue(reply->readAll().toStdString(), key.toStdString());
}

}  // namespace

class ServerQtNetworkTest : public QObject {
  Q_OBJECT

 private slots:
  void listsTheModel() {
    flint::testing::ServeProcess server(FLINT_TEST_CLI, {});
    QNetworkAccessManager net;
    std::unique_ptr<QNetworkReply> reply(net.get(request(server, "/models")));
    QVERIFY(finish(reply.get()));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    const auto models = QJsonDocument::fromJson(reply->readAll()).object()["data"].toArray();
    QCOMPARE(models.size(), 1);
    QCOMPARE(models[0].toObject()["id"].toString(), QStringLiteral("flint-tiny"));
  }

  void streamsReasoningThenTheAnswer() {
    flint::testing::ServeProcess server(FLINT_TEST_CLI, {});
    QNetworkAccessManager net;
    std::unique_ptr<QNetworkReply> reply(
        net.post(request(server, "/chat/completions"), chat("What is 47+38?", "high", 160, true)));
    QByteArray buffer;
    QString reasoning, answer;
    bool done = false;
    const auto take = [&] {
      buffer += reply->readAll();
      for (qsizetype end; (end = buffer.indexOf("\n\n")) >= 0; buffer.remove(0, end + 2)) {
        const QByteArray event = buffer.left(end);
        if (!event.startsWith("data: ")) continue;  // keep-alive comments
        const QByteArray data = event.mid(6);
        if (data == "[DONE]") {
          done = true;
          continue;
        }
        const auto delta = QJsonDocument::fromJson(data)
                               .object()["choices"]
                               .toArray()[0]
                               .toObject()["delta"]
                               .toObject();
        reasoning += delta["reasoning_content"].toString();
        answer += delta["content"].toString();
      }
    };
    connect(reply.get(), &QNetworkReply::readyRead, this, take);
    QVERIFY(finish(reply.get()));
    take();
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(reply->header(QNetworkRequest::ContentTypeHeader).toString(),
             QStringLiteral("text/event-stream"));
    QVERIFY(done);
    QVERIFY2(!reasoning.isEmpty(), "Think High sends its reasoning as reasoning_content");
    QVERIFY(!answer.isEmpty());
    QVERIFY(!answer.contains("</think>"));
  }

  void aMalformedBodyIs400InWords() {
    flint::testing::ServeProcess server(FLINT_TEST_CLI, {});
    QNetworkAccessManager net;
    std::unique_ptr<QNetworkReply> reply(
        net.post(request(server, "/chat/completions"), QByteArray("{\"messages\": [")));
    QVERIFY(finish(reply.get()));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 400);
    const QString message = QJsonDocument::fromJson(reply->readAll())
                                .object()["error"]
                                .toObject()["message"]
                                .toString();
    QVERIFY2(message.endsWith('.') && message.size() > 20, qPrintable(message));
  }

  void anAbortedStreamCancelsItsGeneration() {
    // small_alphabet never ends a reply on its own, so only the abort stops it.
    flint::testing::ServeProcess server(
        FLINT_TEST_CLI, {"--model", std::string(FLINT_TEST_CHECKPOINTS) + "/small_alphabet"});
    QNetworkAccessManager net;
    std::unique_ptr<QNetworkReply> reply(
        net.post(request(server, "/chat/completions"), chat("Go", "non-think", 20000, true)));
    QSignalSpy data(reply.get(), &QNetworkReply::readyRead);
    QVERIFY(data.wait(kTimeoutMs));
    reply->abort();
    QTRY_COMPARE_WITH_TIMEOUT(metric(net, server, "flint_generations_total{outcome=\"cancelled\"}"),
                              1.0, kTimeoutMs);
    QVERIFY(metric(net, server, "flint_generated_tokens_total") < 20000);
  }
};

QTEST_MAIN(ServerQtNetworkTest)
#include "test_server_qt_network.moc"
