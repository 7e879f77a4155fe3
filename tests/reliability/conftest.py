import pytest


@pytest.fixture
def fast(svc, backend):
    """The analysis queue with a 1 s visibility timeout (so redeliveries come quickly); the
    processors of these tests take 0.5 s leases."""
    if backend == "local":
        svc.queue.visibility_timeout = 1
    else:
        import boto3

        sqs = boto3.client("sqs")
        for name in (svc.settings.queue_name, f"{svc.settings.queue_name}-dlq"):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "1"})
    # In AWS the bucket notified the queue of the uploads already; start from an empty queue.
    while messages := svc.queue.receive(max_messages=10):
        for message in messages:
            svc.queue.ack(message)
    return svc
