<?php

namespace Multiverse\Laravel;

/** A value in config/multiverse.php that the extension cannot use. */
class InvalidConfigurationException extends \InvalidArgumentException
{
}
