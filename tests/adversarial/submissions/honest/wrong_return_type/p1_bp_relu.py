# MISTAKE (wrong_return_type): squared_loss returns only the loss, not (loss, dyhat)
_squared_loss = squared_loss


def squared_loss(yhat, y):
    return _squared_loss(yhat, y)[0]
